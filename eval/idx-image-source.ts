/** Images of an idx file as an ImageSource, read exactly like sample PNGs are. */
import { basename } from 'node:path';
import { UserError } from '../core/errors.ts';
import { decodeImage } from '../core/io/images.ts';
import { encodePng } from '../core/io/png.ts';
import type { ImageSource } from '../core/io/image-source.ts';
import type { IdxArray } from './idx-file.ts';

/**
 * The [N,H,W] grayscale images of an idx array, each framed by `pad` black pixels (28×28
 * Fashion-MNIST with pad 2 is the 32×32 data the shipped DDPM learned), then put through a
 * lossless PNG and decodeImage: the same resize and channel conversion sample PNGs get.
 */
export function idxImageSource(idx: IdxArray, path: string, size: number, channels: number, pad = 2): ImageSource {
  if (idx.dims.length !== 3) throw new UserError(`${path}: expected images [N,H,W], found an idx array of shape [${idx.dims.join(',')}]`);
  const [count, height, width] = idx.dims as [number, number, number];
  const paddedWidth = width + 2 * pad;
  const paddedHeight = height + 2 * pad;
  const frame = new Uint8Array(paddedWidth * paddedHeight);
  const plane = channels * size * size;
  const name = basename(path);
  return {
    count,
    names: Array.from({ length: count }, (_, i) => `${name}[${i}]`),
    async read(start, n, out) {
      for (let i = 0; i < n; i++) {
        const source = (start + i) * height * width;
        for (let y = 0; y < height; y++) frame.set(idx.data.subarray(source + y * width, source + (y + 1) * width), (y + pad) * paddedWidth + pad);
        const png = await encodePng(frame, paddedWidth, paddedHeight, 1);
        await decodeImage(png, size, channels, out, i * plane, `${name}[${start + i}]`);
      }
    },
  };
}
