/**
 * A PNG made safe for a decoder that inflates whatever it is given (fast-png, on the edge and
 * in the browser): its declared size is checked against a pixel budget before anything is
 * allocated, and its image data is inflated only as far as that size needs (per interlace
 * pass, one filter byte per row plus the row's packed samples), then inflating stops. A
 * 32×32 PNG whose stream would inflate to 2 GB costs what its first kilobyte costs. What the
 * decoder is handed holds only the chunks it reads pixels from, the data stored uncompressed;
 * ancillary chunks that would be inflated too (iCCP, zTXt, iTXt) are left out.
 */
import { Unzlib, zlibSync } from 'fflate';
import { UserError, firstLine, oneLine } from '../errors.ts';
import { crc32 } from './crc32.ts';

/** Most pixels a PNG decoded in JavaScript may declare: the decoder holds the whole picture, 16 bits a sample. */
export const MAX_DECODED_PIXELS = 4096 * 4096;

export interface PngHeader {
  readonly width: number;
  readonly height: number;
  /** Bits per sample: 1, 2, 4, 8 or 16. */
  readonly depth: number;
  readonly colorType: number;
  readonly interlaced: boolean;
}

/** The eight bytes every PNG file starts with. */
export const PNG_SIGNATURE: readonly number[] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Samples per pixel by PNG colour type (3 is a palette index). */
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Adam7 passes: first column, first row, column step, row step. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;
/** Compressed bytes fed to the inflater at a time: deflate expands at most ~1032:1, so one push yields at most ~1 MiB. */
const PUSH_BYTES = 1024;
/** The chunks besides IHDR and IDAT that the pixels depend on. */
const KEPT_CHUNKS = new Set(['PLTE', 'tRNS']);

const failure = (name: string) => (why: string) => new UserError(`cannot read image ${oneLine(name)}: ${why}`);

/** Bytes a PNG's image data inflates to, from its header alone. */
export function inflatedPngSize(header: PngHeader): number {
  const bits = CHANNELS[header.colorType]! * header.depth;
  const rows = (width: number, height: number) => (width === 0 || height === 0 ? 0 : height * (1 + Math.ceil((width * bits) / 8)));
  if (!header.interlaced) return rows(header.width, header.height);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) total += rows(Math.ceil(Math.max(0, header.width - x0) / dx), Math.ceil(Math.max(0, header.height - y0) / dy));
  return total;
}

/** The header of a PNG, checked: a known colour type and bit depth, and at most `maxPixels` pixels. */
export function readPngHeader(bytes: Uint8Array, name = 'image', maxPixels = MAX_DECODED_PIXELS): PngHeader {
  const fail = failure(name);
  if (bytes.length < 33 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) throw fail('not a PNG image');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(8) !== 13 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw fail('not a readable PNG (it does not start with its IHDR chunk)');
  const header = { width: view.getUint32(16), height: view.getUint32(20), depth: bytes[24]!, colorType: bytes[25]!, interlaced: bytes[28] === 1 };
  if (header.width === 0 || header.height === 0) throw fail(`its header declares ${header.width}×${header.height} pixels`);
  if (header.width * header.height > maxPixels) {
    throw fail(`its header declares ${header.width}×${header.height} pixels, more than the ${maxPixels} (${Math.sqrt(maxPixels)}×${Math.sqrt(maxPixels)}) an input may have`);
  }
  if (CHANNELS[header.colorType] === undefined) throw fail(`PNG colour type ${header.colorType} does not exist (0, 2, 3, 4 or 6)`);
  if (![1, 2, 4, 8, 16].includes(header.depth)) throw fail(`a PNG of ${header.depth} bits per sample does not exist (1, 2, 4, 8 or 16)`);
  return header;
}

/** Inflate a zlib stream given in parts to exactly `size` bytes, never further: what follows is not read. */
function inflateExactly(parts: readonly Uint8Array[], size: number, fail: (why: string) => UserError): Uint8Array {
  const out = new Uint8Array(size);
  let filled = 0;
  const stream = new Unzlib((data) => {
    const n = Math.min(data.length, size - filled);
    out.set(data.subarray(0, n), filled);
    filled += n;
  });
  try {
    for (let p = 0; p < parts.length && filled < size; p++) {
      const part = parts[p]!;
      for (let at = 0; at < part.length && filled < size; at += PUSH_BYTES) {
        stream.push(part.subarray(at, at + PUSH_BYTES), p === parts.length - 1 && at + PUSH_BYTES >= part.length);
      }
    }
  } catch (error) {
    if (filled < size) throw fail(`its pixel data does not inflate (${oneLine(firstLine(error))})`);
  }
  if (filled < size) throw fail(`its pixel data is shorter than its size says (${filled} of ${size} bytes)`);
  return out;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 12);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(data.length + 8, crc32(out, 4, data.length + 8));
  return out;
}

/**
 * The PNG a JavaScript decoder may be given: the same pixels, its image data inflated to the
 * bytes its declared size needs and stored uncompressed. Refuses (one line, naming the limit)
 * a size over `maxPixels` before allocating anything, and image data that is short or corrupt.
 *
 * @example
 * const pixels = decode(boundedPng(uploadBytes, 'images[0]'));
 */
export function boundedPng(bytes: Uint8Array, name = 'image', maxPixels = MAX_DECODED_PIXELS): Uint8Array {
  const fail = failure(name);
  const header = readPngHeader(bytes, name, maxPixels);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kept: Uint8Array[] = [bytes.subarray(8, 33)];
  const data: Uint8Array[] = [];
  for (let at = 33; ; ) {
    if (at + 12 > bytes.length) throw fail('not a readable PNG (it ends before its IEND chunk)');
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const end = at + 12 + length;
    if (end > bytes.length) throw fail(`not a readable PNG (its ${oneLine(type)} chunk is cut short)`);
    if (type === 'IEND') break;
    if (type === 'IDAT') data.push(bytes.subarray(at + 8, end - 4));
    else if (KEPT_CHUNKS.has(type)) kept.push(bytes.subarray(at, end));
    at = end;
  }
  if (data.length === 0) throw fail('not a readable PNG (it has no image data)');
  const pixels = inflateExactly(data, inflatedPngSize(header), fail);
  const parts = [Uint8Array.from(PNG_SIGNATURE), ...kept, pngChunk('IDAT', zlibSync(pixels, { level: 0 })), pngChunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
