/** The RunHost of runtimes with a file system (Bun, Node, Deno): files on disk; images of any size and format, decoded with sharp. */
import { readFileSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { resolve } from 'node:path';
import type { RunHost } from '../run-host.ts';
import { directoryImageSource } from './image-files.ts';
import { decodeImage, imageSize } from './images.ts';
import { directoryMaskSource, singleMaskSource } from './mask-files.ts';

export const localHost: RunHost = {
  totalMemory() {
    try {
      return totalmem();
    } catch {
      return undefined; // Deno without --allow-sys
    }
  },
  fileSize(path) {
    const stat = statSync(path);
    return stat.isFile() ? stat.size : undefined;
  },
  readFile: (path) => readFileSync(path),
  samePath: (a, b) => resolve(a) === resolve(b),
  imageFolder: directoryImageSource,
  maskFolder: directoryMaskSource,
  maskFile: singleMaskSource,
  imageSize,
  decodeImage,
};
