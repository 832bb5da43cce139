/**
 * A strict reading of a PNG as this toolkit writes them: the signature, every chunk's CRC,
 * the header's size and colour type, and image data that inflates to exactly the bytes a
 * non-interlaced 8-bit picture of that size holds. A truncated or bit-flipped file fails.
 */
import { inflateSync } from 'node:zlib';
import { PNG_SIGNATURE } from '../io/bounded-png.ts';
import { crc32 } from '../io/crc32.ts';

/** PNG colour type by channel count: gray, gray+alpha, RGB, RGBA. */
const COLOUR_TYPE: Record<number, number> = { 1: 0, 2: 4, 3: 2, 4: 6 };

export interface PngExpectation {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

/**
 * Why `bytes` is not a whole PNG of the expected picture, or undefined when it is one.
 *
 * @example
 * checkPng(readFileSync('out/0.png'), { width: 32, height: 32, channels: 1 }); // undefined
 */
export function checkPng(bytes: Uint8Array, expected?: PngExpectation): string | undefined {
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) return 'not a PNG file';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idat: Uint8Array[] = [];
  let header: { width: number; height: number; depth: number; colour: number; interlace: number } | undefined;
  let at = 8;
  for (;;) {
    if (at + 12 > bytes.length) return 'truncated (no IEND chunk)';
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const end = at + 8 + length;
    if (end + 4 > bytes.length) return `truncated in its ${type} chunk`;
    if (crc32(bytes, at + 4, end) !== view.getUint32(end)) return `bad CRC in its ${type} chunk`;
    if (type === 'IHDR') {
      header = { width: view.getUint32(at + 8), height: view.getUint32(at + 12), depth: bytes[at + 16]!, colour: bytes[at + 17]!, interlace: bytes[at + 20]! };
    } else if (type === 'IDAT') idat.push(bytes.subarray(at + 8, end));
    at = end + 4;
    if (type === 'IEND') break;
  }
  if (at !== bytes.length) return `${bytes.length - at} stray bytes after its IEND chunk`;
  if (!header) return 'no IHDR chunk';
  const channels = Number(Object.keys(COLOUR_TYPE).find((c) => COLOUR_TYPE[Number(c)] === header.colour));
  if (header.depth !== 8 || !channels || header.interlace !== 0) {
    return `colour type ${header.colour}, ${header.depth}-bit${header.interlace ? ', interlaced' : ''}: not an 8-bit picture this toolkit writes`;
  }
  if (expected) {
    const { width, height } = expected;
    if (header.width !== width || header.height !== height) return `${header.width}×${header.height} pixels, expected ${width}×${height}`;
    if (channels !== expected.channels) return `${channels} channel(s), expected ${expected.channels}`;
  }
  const size = header.height * (1 + header.width * channels);
  let raw: Uint8Array;
  try {
    // One byte past the size is enough to tell: a file that inflates to gigabytes is not inflated whole.
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: size + 1 });
  } catch (error) {
    return error instanceof RangeError ? `image data holds more than the ${size} bytes expected` : 'image data does not inflate';
  }
  if (raw.length !== size) return `image data holds ${raw.length} bytes, expected ${size}`;
  return undefined;
}
