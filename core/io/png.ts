/**
 * PNG in and out in plain JavaScript (fast-png over fflate), so that every runtime — native,
 * edge, browser — writes the same bytes for the same pixels and none needs a native addon.
 */
import { convertIndexedToRgb, decode, encode } from 'fast-png';
import { UserError, firstLine, oneLine } from '../errors.ts';
import { MAX_DECODED_PIXELS, boundedPng } from './bounded-png.ts';

/** PNG bytes of interleaved 8-bit pixels (1: grayscale, 2: gray + alpha, 3: RGB, 4: RGBA). */
export async function encodePng(pixels: Uint8Array, width: number, height: number, channels: number): Promise<Uint8Array> {
  return encode({ width, height, data: pixels, depth: 8, channels }, { zlib: { level: 6 } });
}

/** A decoded picture: interleaved 8-bit samples, `channels` per pixel. */
export interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Uint8Array;
}

/**
 * Decode PNG bytes to 8 bits per sample: palettes expanded to RGB(A), bit depths below 8
 * scaled up, 16-bit samples cut to their high byte (as libvips does). A size over `maxPixels`
 * is refused before anything is allocated, and the image data is inflated no further than
 * that size needs (./bounded-png.ts): a decompression bomb costs what its first rows cost.
 */
export function decodePng(bytes: Uint8Array, name = 'image', maxPixels = MAX_DECODED_PIXELS): Pixels {
  const fail = (why: string) => new UserError(`cannot read image ${oneLine(name)}: ${why}`);
  // fast-png 8 unpacks interlaced images of 1, 2 or 4 bits per sample wrongly: refused, not misread.
  if (bytes.length >= 29 && bytes[24]! < 8 && bytes[28] === 1) throw fail(`an interlaced PNG of ${bytes[24]} bits per sample; save it non-interlaced or at 8 bits`);
  const bounded = boundedPng(bytes, name, maxPixels);
  let png;
  let palette: Uint8Array | undefined;
  try {
    png = decode(bounded);
    if (png.palette) palette = convertIndexedToRgb(png);
  } catch (error) {
    throw fail(`not a readable PNG (${oneLine(firstLine(error))})`);
  }
  const { width, height } = png;
  if (palette) return { width, height, channels: palette.length / (width * height), data: palette };
  const samples = width * height * png.channels;
  if (png.data.length < (png.depth >= 8 ? samples : Math.ceil((width * png.channels * png.depth) / 8) * height)) throw fail('its pixel data is shorter than its size says');
  const data = new Uint8Array(samples);
  if (png.depth === 16) {
    for (let i = 0; i < samples; i++) data[i] = png.data[i]! >> 8;
  } else if (png.depth === 8) {
    data.set(png.data.subarray(0, samples));
  } else {
    unpackLowDepth(png.data as Uint8Array, png.depth, width * png.channels, height, data);
  }
  return { width, height, channels: png.channels, data };
}

/** Samples of 1, 2 or 4 bits, packed from the high bit with every row starting on a byte, scaled to 0..255. */
function unpackLowDepth(packed: Uint8Array, depth: number, rowSamples: number, height: number, out: Uint8Array): void {
  const rowBytes = Math.ceil((rowSamples * depth) / 8);
  const max = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < rowSamples; i++) {
      const bit = i * depth;
      const byte = packed[y * rowBytes + (bit >> 3)]!;
      const value = (byte >> (8 - depth - (bit & 7))) & max;
      out[y * rowSamples + i] = Math.round((value * 255) / max);
    }
  }
}
