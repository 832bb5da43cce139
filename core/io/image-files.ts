import { oneLine, UserError } from '../errors.ts';
import type { ImageSource } from './image-source.ts';
import { decodeImage, listImages } from './images.ts';

/** Images under a directory (recursive, sorted), decoded on demand, one micro-batch at a time. */
export function directoryImageSource(dir: string, size: number, channels: number, exclude?: string): ImageSource {
  const files = listImages(dir, exclude);
  if (files.length === 0) throw new UserError(`no images (.png, .jpg, .jpeg, .webp) found under input_dir ${oneLine(dir)}`);
  return bytesImageSource(files, size, channels);
}

/** Images given as paths or encoded bytes (e.g. an upload), decoded on demand. */
export function bytesImageSource(items: readonly (string | Uint8Array)[], size: number, channels: number, names?: readonly string[]): ImageSource {
  const plane = channels * size * size;
  return {
    count: items.length,
    names: names ?? items.map((item, i) => (typeof item === 'string' ? item : `image ${i}`)),
    async read(start, count, out) {
      for (let i = 0; i < count; i++) {
        const item = items[start + i]!;
        await decodeImage(item, size, channels, out, i * plane, names?.[start + i]);
      }
    },
  };
}
