/** Image files in and out (sharp), and the pixel mapping of the reference tool. */
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
  let stat;
  try {
    stat = statSync(dir);
  } catch {
    throw new UserError(`input directory not found: ${oneLine(dir)}`);
  }
  if (!stat.isDirectory()) throw new UserError(`input_dir is not a directory: ${oneLine(dir)}`);
  const found: string[] = [];
  const skipped = exclude === undefined ? undefined : resolve(exclude);
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        if (resolve(path) !== skipped) walk(path);
      }
      else if (IMAGE_EXTENSIONS.test(entry.name)) found.push(path);
    }
  };
  walk(dir);
  const key = (p: string) => relative(dir, p);
  return found.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
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

/** round((clamp(x)+1)/2·255), the reference tool's float → byte mapping. */
export function toByte(x: number): number {
  const clamped = x < -1 ? -1 : x > 1 ? 1 : x;
  return Math.round(((clamped + 1) / 2) * 255);
}

/** Pixel layout of one output picture. */
export interface PictureLayout {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** Frames side by side; more than one are separated and framed by `border` black pixels. */
  readonly frames: number;
  readonly border: number;
}

export function pictureSize(layout: PictureLayout): { width: number; height: number } {
  const { frames, border, width, height } = layout;
  if (frames === 1) return { width, height };
  return { width: frames * width + (frames + 1) * border, height: height + 2 * border };
}

/** Interleaved 8-bit pixels (H·W·C) of `layout.frames` C·H·W frames read from frames[offset..). */
export function renderPicture(frames: Float32Array, offset: number, layout: PictureLayout): Uint8Array {
  const { channels, height, width, frames: count } = layout;
  const border = count === 1 ? 0 : layout.border;
  const size = pictureSize(layout);
  const out = new Uint8Array(size.width * size.height * channels);
  const plane = height * width;
  for (let f = 0; f < count; f++) {
    const source = offset + f * channels * plane;
    const left = border + f * (width + border);
    for (let y = 0; y < height; y++) {
      const row = ((y + border) * size.width + left) * channels;
      for (let xPos = 0; xPos < width; xPos++) {
        for (let c = 0; c < channels; c++) out[row + xPos * channels + c] = toByte(frames[source + c * plane + y * width + xPos]!);
      }
    }
  }
  return out;
}

/** PNG bytes of interleaved 8-bit pixels. */
export async function encodePng(pixels: Uint8Array, width: number, height: number, channels: number): Promise<Uint8Array> {
  const raw = { width, height, channels: channels as 1 | 2 | 3 | 4 };
  // One-channel results stay one-channel (8-bit grayscale PNG) instead of sRGB.
  const image = channels === 1 ? sharp(pixels, { raw }).toColourspace('b-w') : sharp(pixels, { raw });
  return image.png({ compressionLevel: 6, adaptiveFiltering: false }).toBuffer();
}
