import { oneLine, UserError } from '../errors.ts';
import type { ImageSource } from './image-source.ts';
import { decodeImage, imageSize, listImageFolder } from './images.ts';

/** Images under a directory (recursive, sorted), decoded on demand, one micro-batch at a time. */
export function directoryImageSource(dir: string, size: number, channels: number, exclude?: string): ImageSource {
  const { images, skipped } = listImageFolder(dir, exclude);
  if (images.length === 0) throw new UserError(`no images (.png, .jpg, .jpeg, .webp) found under input_dir ${oneLine(dir)}`);
  return { ...bytesImageSource(images, size, channels), skipped };
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
    sizes: () => Promise.all(items.map((item, i) => imageSize(item, names?.[i]))),
  };
}
