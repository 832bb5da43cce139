/** Files that appear whole or not at all: written to a temp name, then renamed. */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
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
