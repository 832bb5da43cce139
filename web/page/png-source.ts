/**
 * PNGs at the model's size as a run's input, decoded as the server decodes an upload of the
 * same PNG (core/io/png-image.ts: the portable decoder, which converts like sharp does): one
 * mask may stand for every image, as in a request.
 */
import type { ImageSource } from '../../core/io/image-source.ts';
import { decodePngImage } from '../../core/io/png-image.ts';

/**
 * @example
 * const inputs = pngImageSource(request.images, 32, 1, 'images');
 */
export function pngImageSource(pngs: readonly Uint8Array[], size: number, channels: number, field: string, count = pngs.length): ImageSource {
  const plane = channels * size * size;
  const at = (item: number) => (pngs.length === 1 ? 0 : item);
  return {
    count,
    names: Array.from({ length: count }, (_, i) => `${field}[${at(i)}]`),
    async read(start, n, out) {
      for (let i = 0; i < n; i++) {
        const item = at(start + i);
        await decodePngImage(pngs[item]!, size, channels, out, i * plane, `${field}[${item}]`);
      }
    },
  };
}
