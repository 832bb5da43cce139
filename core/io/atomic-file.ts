/** Files that appear whole or not at all: written to a temp name, then renamed. */
import { closeSync, fstatSync, ftruncateSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';

let counter = 0;
function tempName(path: string): string {
  return `${path}.${process.pid}.${counter++}.tmp`;
}

export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temp = tempName(path);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** An append-only file that is renamed into place by commit(), or removed by abort(). */
export class AtomicAppendFile {
  readonly path: string;
  readonly #temp: string;
  #fd: number | null;

  constructor(path: string) {
    this.path = path;
    this.#temp = tempName(path);
    this.#fd = openSync(this.#temp, 'w');
  }

  append(bytes: Uint8Array): void {
    if (this.#fd === null) throw new Error(`${this.path} is already closed`);
    let written = 0;
    while (written < bytes.length) written += writeSync(this.#fd, bytes, written, bytes.length - written);
  }

  commit(): void {
    if (this.#fd === null) return;
    closeSync(this.#fd);
    this.#fd = null;
    renameSync(this.#temp, this.path);
  }

  abort(): void {
    if (this.#fd === null) return;
    closeSync(this.#fd);
    this.#fd = null;
    rmSync(this.#temp, { force: true });
  }
}

/**
 * Rewrite a small file where it stands, for a disk so full that no temp file fits: allowed
 * only when the new bytes fit in the blocks the file already holds, so the one write needs
 * no space; the file is shortened after. Throws (and changes nothing) when it does not fit.
 */
export function overwriteInPlace(path: string, data: string): void {
  const bytes = new TextEncoder().encode(data);
  const fd = openSync(path, 'r+');
  try {
    const { blocks } = fstatSync(fd);
    if (bytes.length > blocks * 512) throw Object.assign(new Error(`${path} has no room for ${bytes.length} bytes in place`), { code: 'ENOSPC' });
    if (writeSync(fd, bytes, 0, bytes.length, 0) !== bytes.length) throw new Error(`${path}: short write`);
    ftruncateSync(fd, bytes.length);
  } finally {
    closeSync(fd);
  }
}
