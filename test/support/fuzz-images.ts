/**
 * Input images and masks for the fuzz pass: the reference picture in every lossless form
 * (16-bit, palette, RGB, alpha, interlaced: each must decode to the reference's pixels),
 * other valid ones (JPEG, WebP, other sizes), and broken ones (truncated, corrupt, zero
 * bytes, garbage with a JPEG or WebP signature, PNG headers declaring huge dimensions).
 */
import { deflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import type { Draws } from './fuzz-harness.ts';

export const SIDE = 32;

export interface ImageDraw {
  readonly kind: string;
  /** Undefined: write a directory by that name instead of a file. */
  readonly bytes: Uint8Array | undefined;
  /** The reference pixels in another lossless form: decoding must give the reference's values. */
  readonly same: boolean;
  /** Certainly unreadable: the run must fail. */
  readonly broken: boolean;
  /** A readable image (the reference's pixels or another valid one): the run must give a result. */
  readonly valid: boolean;
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One PNG chunk: length, type, data and CRC. */
export function chunk(type: string, data: Uint8Array): Uint8Array {
  const body = Uint8Array.from([...new TextEncoder().encode(type), ...data]);
  const out = new Uint8Array(body.length + 8);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(body, 4);
  view.setUint32(out.length - 4, crc32(body));
  return out;
}

/** A PNG by hand: any IHDR (huge or invalid dimensions too), the given scanline bytes deflated, extra chunks before IDAT. */
export function handPng(width: number, height: number, scanlines: Uint8Array, options: { depth?: number; colorType?: number; extra?: Uint8Array[] } = {}): Uint8Array {
  const extra = options.extra ?? [];
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width >>> 0);
  view.setUint32(4, height >>> 0);
  ihdr[8] = options.depth ?? 8;
  ihdr[9] = options.colorType ?? 0;
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), ...extra, chunk('IDAT', deflateSync(scanlines)), chunk('IEND', new Uint8Array(0))];
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

/** The reference picture: 32×32 8-bit gray, every value distinct enough to show a wrong decode. */
export function referencePixels(seed: number): Buffer {
  return Buffer.from(Array.from({ length: SIDE * SIDE }, (_, i) => (i * 37 + seed * 101 + ((i >> 5) * 13)) % 256));
}

let bomb: Uint8Array | undefined;
/** A text chunk's data that inflates to 64 MiB: a decompression bomb outside the pixels. */
function textBomb(): Uint8Array {
  bomb ??= Uint8Array.from([...new TextEncoder().encode('Comment'), 0, 0, ...deflateSync(new Uint8Array(64 << 20))]);
  return bomb;
}

/** The file name a drawn image is written under: its format's extension. */
export function imageName(base: string, draw: ImageDraw): string {
  return `${base}${/JPEG/.test(draw.kind) ? '.jpg' : /WebP/.test(draw.kind) ? '.webp' : '.png'}`;
}

const gray = (pixels: Buffer) => sharp(pixels, { raw: { width: SIDE, height: SIDE, channels: 1 } });

/** The same pixels as 8-bit RGB(A) or gray+alpha, every channel equal, alpha opaque. */
function widened(pixels: Buffer, channels: 2 | 3 | 4): Sharp {
  const out = Buffer.alloc(pixels.length * channels);
  for (let i = 0; i < pixels.length; i++) {
    for (let c = 0; c < channels; c++) out[i * channels + c] = (channels === 2 || channels === 4) && c === channels - 1 ? 255 : pixels[i]!;
  }
  return sharp(out, { raw: { width: SIDE, height: SIDE, channels } });
}

/**
 * The reference pixels written by hand, exactly: 8-bit indices into a gray palette, or 16-bit
 * samples v·257 (gray or RGB), which an 8-bit decode must turn back into v.
 */
function exactPng(pixels: Buffer, form: 'palette' | 'gray16' | 'rgb16'): Uint8Array {
  const samples = form === 'palette' ? 1 : form === 'gray16' ? 2 : 6;
  const rows = new Uint8Array(SIDE * (1 + SIDE * samples));
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const v = pixels[y * SIDE + x]!;
      const at = y * (1 + SIDE * samples) + 1 + x * samples;
      if (form === 'palette') rows[at] = v;
      else for (let k = 0; k < samples; k += 2) rows.set([v, v], at + k);
    }
  }
  if (form !== 'palette') return handPng(SIDE, SIDE, rows, { depth: 16, colorType: form === 'gray16' ? 0 : 2 });
  const palette = chunk('PLTE', Uint8Array.from({ length: 768 }, (_, i) => Math.floor(i / 3)));
  return handPng(SIDE, SIDE, rows, { depth: 8, colorType: 3, extra: [palette] });
}

/** A valid PNG of the reference pixels, to corrupt. */
export function plainPng(pixels: Buffer): Promise<Buffer> {
  return gray(pixels).png().toBuffer();
}

/** One input image (or mask) drawn from every class the brief names. */
export async function fuzzImage(draws: Draws, pixels: Buffer): Promise<ImageDraw> {
  const same = async (kind: string, image: Sharp): Promise<ImageDraw> => ({ kind, bytes: await image.toBuffer(), same: true, broken: false, valid: true });
  const valid = async (kind: string, image: Sharp): Promise<ImageDraw> => ({ kind, bytes: await image.toBuffer(), same: false, broken: false, valid: true });
  const broken = (kind: string, bytes: Uint8Array | undefined): ImageDraw => ({ kind, bytes, same: false, broken: true, valid: false });
  const either = (kind: string, bytes: Uint8Array): ImageDraw => ({ kind, bytes, same: false, broken: false, valid: false });
  const scan = (width: number, rows: number, perPixel = 1) => new Uint8Array(rows * (1 + width * perPixel));
  switch (draws.int(22)) {
    case 0: return same('8-bit gray', gray(pixels).png());
    case 1: return { kind: '16-bit gray', bytes: exactPng(pixels, 'gray16'), same: true, broken: false, valid: true };
    case 2: return { kind: 'palette', bytes: exactPng(pixels, 'palette'), same: true, broken: false, valid: true };
    case 3: return same('RGB', widened(pixels, 3).png());
    case 4: return same('RGBA, opaque', widened(pixels, 4).png());
    case 5: return same('gray+alpha, opaque', widened(pixels, 2).png());
    case 6: return same('interlaced', gray(pixels).png({ progressive: true }));
    case 7: return { kind: '16-bit RGB', bytes: exactPng(pixels, 'rgb16'), same: true, broken: false, valid: true };
    case 8: return valid('JPEG', gray(pixels).jpeg({ quality: 90 }));
    case 9: return valid('WebP', gray(pixels).webp({ quality: 90 }));
    case 10: return valid('another size', gray(pixels).resize(draws.pick([1, 7, 64, 300]), draws.pick([1, 48, 32, 5])).png());
    case 11: return valid('RGBA, half transparent', sharp(Buffer.from(Array.from({ length: SIDE * SIDE * 4 }, (_, i) => (i % 4 === 3 ? (i >> 2) % 256 : pixels[i >> 2]!))), { raw: { width: SIDE, height: SIDE, channels: 4 } }).png());
    case 12: {
      const full = await plainPng(pixels);
      return broken('truncated', full.subarray(0, draws.int(full.length - 12)));
    }
    case 13: {
      const bytes = Uint8Array.from(await plainPng(pixels));
      for (let i = 0; i < 1 + draws.int(8); i++) bytes[8 + draws.int(bytes.length - 8)] = draws.int(256);
      return either('bytes changed', bytes);
    }
    case 14: return broken('zero bytes', new Uint8Array(0));
    case 15: return broken('random bytes', draws.bytes(1 + draws.int(4000)));
    case 16: return broken('JPEG garbage', Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, ...draws.bytes(draws.int(3000))]));
    case 17: return broken('WebP garbage', Uint8Array.from([...new TextEncoder().encode('RIFF'), 0xff, 0, 0, 0, ...new TextEncoder().encode(draws.pick(['WEBPVP8 ', 'WEBPVP8L', 'WEBPVP8X'])), ...draws.bytes(draws.int(3000))]));
    case 18: {
      const [width, height] = draws.pick([[100_000, 100_000], [2 ** 31 - 1, 1], [1, 2 ** 31 - 1], [60_000, 60_000], [16_000, 16_000], [8193, 8192]] as const);
      // A few real rows, then nothing: the header alone must be refused, not decoded.
      return broken(`a PNG declaring ${width}×${height}`, handPng(width, height, scan(Math.min(width, 4096), 2)));
    }
    case 19: {
      const [width, height, depth, colorType] = draws.pick([[0, 32, 8, 0], [32, 0, 8, 0], [32, 32, 3, 0], [32, 32, 8, 1], [32, 32, 16, 3], [2 ** 31, 32, 8, 0]] as const);
      return broken(`an invalid IHDR ${width}×${height} depth ${depth} type ${colorType}`, handPng(width, height, scan(32, 32), { depth, colorType }));
    }
    case 20:
      return either('a zTXt bomb', handPng(SIDE, SIDE, scan(SIDE, SIDE), { extra: [chunk('zTXt', textBomb())] }));
    default: return broken('a directory', undefined);
  }
}
