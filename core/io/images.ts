/** Image files in (sharp: PNG, JPEG, WebP of any size, resized and cropped to the model's). */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import sharp from 'sharp';
import { oneLine, firstLine, UserError } from '../errors.ts';

const IMAGE_EXTENSIONS = /\.(png|jpe?g|webp)$/i;
/**
 * Largest input decoded, in pixels: sharp's own default (16383×16383), named so that the
 * message can say it. Below it even a decompression bomb is cheap, since libvips shrinks
 * while it decodes (measured: a 16000×16000 all-zero PNG of 243 KiB, 48 ms and +40 MiB).
 */
export const MAX_INPUT_PIXELS = 0x3fff * 0x3fff;
const OVER_LIMIT = `more than ${MAX_INPUT_PIXELS} pixels (16383×16383), the most an input may have`;

/**
 * Image files under dir, recursively, in sorted path order; `exclude` (a folder, e.g. the
 * run's own save_dir inside dir) is skipped, so a run never reads its own results back.
 */
export function listImages(dir: string, exclude?: string): string[] {
  return listImageFolder(dir, exclude).images;
}

/** listImages, and the other files it passed over (relative to dir, sorted): not silently dropped. */
export function listImageFolder(dir: string, exclude?: string): { images: string[]; skipped: string[] } {
  let stat;
  try {
    stat = statSync(dir);
  } catch {
    throw new UserError(`input directory not found: ${oneLine(dir)}`);
  }
  if (!stat.isDirectory()) throw new UserError(`input_dir is not a directory: ${oneLine(dir)}`);
  const found: string[] = [];
  const others: string[] = [];
  const skipped = exclude === undefined ? undefined : resolve(exclude);
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        if (resolve(path) !== skipped) walk(path);
      }
      else if (IMAGE_EXTENSIONS.test(entry.name)) found.push(path);
      else others.push(relative(dir, path));
    }
  };
  walk(dir);
  const key = (p: string) => relative(dir, p);
  return { images: found.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)), skipped: others.sort() };
}

/**
 * Decode an image, resize its short side to `size` and center-crop, convert to
 * `channels` (1: luminance, 3: sRGB), and write C·H·W values v/127.5 − 1 at out[offset..).
 */
export async function decodeImage(
  input: string | Uint8Array,
  size: number,
  channels: number,
  out: Float32Array,
  offset: number,
  name = typeof input === 'string' ? input : 'image',
): Promise<void> {
  const shown = oneLine(name);
  let raw: Buffer;
  try {
    let image = sharp(input, { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS });
    const meta = await image.metadata();
    if ((meta.width ?? 0) * (meta.height ?? 0) > MAX_INPUT_PIXELS) throw new UserError(`cannot read image ${shown}: ${meta.width}×${meta.height} is ${OVER_LIMIT}`);
    if (meta.width !== size || meta.height !== size) image = image.resize(size, size, { fit: 'cover', position: 'centre' });
    image = channels === 1 ? image.grayscale() : image.removeAlpha().toColourspace('srgb');
    raw = await image.raw({ depth: 'uchar' }).toBuffer();
  } catch (error) {
    if (error instanceof UserError) throw error;
    const reason = firstLine(error);
    throw new UserError(`cannot read image ${shown}: ${/exceeds pixel limit/i.test(reason) ? OVER_LIMIT : oneLine(reason)}`);
  }
  const pixels = size * size;
  const stride = raw.length / pixels;
  if (!Number.isInteger(stride) || stride < channels) throw new UserError(`cannot read image ${shown}: got ${stride} values per pixel, need ${channels} channels`);
  for (let c = 0; c < channels; c++) {
    const plane = offset + c * pixels;
    for (let p = 0; p < pixels; p++) out[plane + p] = raw[p * stride + c]! / 127.5 - 1;
  }
}

/** An encoded image's size from its header (sharp reads PNG, JPEG, WebP, …). */
export async function imageSize(input: string | Uint8Array, name = typeof input === 'string' ? input : 'image'): Promise<{ width: number; height: number }> {
  try {
    // The header only: the caller weighs the size against its own budget (the server's is smaller).
    const meta = await sharp(input, { limitInputPixels: false }).metadata();
    return { width: meta.width ?? 0, height: meta.height ?? 0 };
  } catch (error) {
    throw new UserError(`cannot read image ${oneLine(name)}: ${oneLine(firstLine(error))}`);
  }
}
