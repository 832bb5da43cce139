/**
 * Masks for the modes that take them (inpainting): one grayscale picture per input image,
 * converted like the inputs (short side resized, center-cropped), read as values in
 * [−1, 1] (white = 1 = keep). From a folder mirroring the input folder's names, or one
 * file for every input.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { oneLine, UserError } from '../errors.ts';
import { bytesImageSource } from './image-files.ts';
import type { ImageSource } from './image-source.ts';
import { decodeImage, imageSize } from './images.ts';

/** The mask of each input, found under maskDir by the input's path relative to inputDir. */
export function directoryMaskSource(maskDir: string, inputDir: string, inputs: ImageSource, size: number): ImageSource {
  const files = inputs.names.map((name) => join(maskDir, relative(inputDir, name)));
  const missing = files.findIndex((file) => !existsSync(file));
  if (missing !== -1) {
    throw new UserError(`mask_dir ${oneLine(maskDir)}: no mask for input ${oneLine(relative(inputDir, inputs.names[missing]!))} (expected ${oneLine(files[missing]!)}); masks take the input's name`, {
      path: 'sampler.mask_dir',
    });
  }
  return bytesImageSource(files, size, 1);
}

/** One mask file for all `count` inputs, decoded once. */
export function singleMaskSource(file: string, count: number, size: number): ImageSource {
  if (!existsSync(file)) throw new UserError(`mask file not found: ${oneLine(file)}`, { path: 'sampler.mask' });
  const plane = size * size;
  let decoded: Promise<Float32Array> | undefined;
  return {
    count,
    names: Array.from({ length: count }, () => file),
    async read(_start, n, out) {
      decoded ??= (async () => {
        const pixels = new Float32Array(plane);
        await decodeImage(file, size, 1, pixels, 0);
        return pixels;
      })();
      const pixels = await decoded;
      for (let i = 0; i < n; i++) out.set(pixels, i * plane);
    },
    async sizes() {
      return Array(count).fill(await imageSize(file));
    },
  };
}
