/**
 * A file-system failure under save_dir (a full disk, a read-only mount, a folder removed
 * mid-run) as one line that names the path and the cause, for the CLI to print as it prints
 * a user's mistake: no stack trace for what the machine, not the toolkit, got wrong.
 */
import { UserError, firstLine } from '../errors.ts';

/** The system's words for the codes a save_dir meets (Node's and Bun's messages add a syscall and a temp path). */
const CAUSES: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory (was the folder removed?)',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EIO: 'input/output error',
};

/** What the user can do about it, where rerunning is the answer. */
const REMEDY: Readonly<Record<string, string>> = {
  ENOSPC: 'free some space and rerun the same command to continue',
  EDQUOT: 'free some space and rerun the same command to continue',
};

/** The error's code (ENOSPC, ...), where it is a system error. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The cause of a file-system error in words: `no space left on device`. */
export function fileSystemCause(error: unknown): string {
  const code = errorCode(error);
  return (code && CAUSES[code]) ?? firstLine(error);
}

/**
 * @example
 * await writeFileAtomic(path, png).catch((error) => { throw saveDirError('write', path, error); });
 * // error: cannot write out/3.png: no space left on device; free some space and rerun the same command to continue
 */
export function saveDirError(action: string, path: string, error: unknown): UserError {
  if (error instanceof UserError) return error;
  const remedy = REMEDY[errorCode(error) ?? ''];
  return new UserError(`cannot ${action} ${path}: ${fileSystemCause(error)}${remedy ? `; ${remedy}` : ''}`, { path: 'sampler.save_dir', exitCode: 1, cause: error });
}
