/**
 * Config paths without node:path, so that validating a config runs on every runtime. Paths
 * are POSIX: the toolkit's file-reading side (Bun, Node, Deno on Linux and macOS) resolves
 * them, and the edge reads no files.
 */
import { oneLine } from '../errors.ts';

/** Keys holding file paths: relative ones are resolved against the file (or cwd) that set them. */
export const PATH_KEYS = ['sampler.weights', 'sampler.input_dir', 'sampler.mask_dir', 'sampler.mask', 'sampler.save_dir', 'sampler.noise'];

export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/');
}

const workingDirectory = (): string => (globalThis as { process?: { cwd?: () => string } }).process?.cwd?.() ?? '/';

/**
 * `path` against the folder `base` (itself against the working directory when relative; `/`
 * where the runtime has none), with `.` and `..` folded, as node:path's resolve does.
 */
export function resolvePath(base: string, path: string): string {
  const parts: string[] = [];
  const from = isAbsolutePath(base) ? base : `${workingDirectory()}/${base}`;
  for (const part of (isAbsolutePath(path) ? path : `${from}/${path}`).split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '' && part !== '.') parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** The folder a path is in. */
export function parentPath(path: string): string {
  return resolvePath(path, '..');
}

/** A path as messages show it: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const cwd = workingDirectory();
  const inside = cwd !== '/' && file.startsWith(`${cwd}/`);
  return oneLine(inside ? file.slice(cwd.length + 1) : file);
}

/** A plugin given as a path (not a package name). */
export function isPluginPath(specifier: string): boolean {
  return specifier.startsWith('.') || isAbsolutePath(specifier);
}

