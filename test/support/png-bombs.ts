/**
 * Decompression bombs as PNGs, built in memory without ever holding what they inflate to: a
 * small image (32×32 gray, say) whose IDAT stream inflates to `inflatedBytes` zeros. The
 * stream is one deflate segment of 1 MiB of zeros, ended by a sync flush (so it is
 * byte-aligned and stands alone), repeated, then a final empty block and the Adler-32.
 */
import { constants, deflateRawSync } from 'node:zlib';
import { chunk } from './fuzz-images.ts';

const SEGMENT = 1 << 20;
let segment: Uint8Array | undefined;

/** A zlib stream of `inflatedBytes` zeros (a whole number of MiB), about 1/1000 of that long. */
export function zeroBombStream(inflatedBytes: number): Uint8Array {
  if (inflatedBytes % SEGMENT !== 0) throw new Error('zeroBombStream: a whole number of MiB');
  segment ??= deflateRawSync(new Uint8Array(SEGMENT), { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
  const copies = inflatedBytes / SEGMENT;
  const out = new Uint8Array(2 + copies * segment.length + 2 + 4);
  out.set([0x78, 0xda], 0);
  for (let i = 0; i < copies; i++) out.set(segment, 2 + i * segment.length);
  let at = 2 + copies * segment.length;
  out.set([0x03, 0x00], at); // final fixed-Huffman block holding only its end code
  // Adler-32 of n zeros: a stays 1, b adds 1 per byte.
  new DataView(out.buffer).setUint32(at + 2, (((inflatedBytes % 65521) << 16) | 1) >>> 0);
  return out;
}

/** A `width`×`height` 8-bit gray PNG whose pixel data inflates to `inflatedBytes` (in IDAT chunks of at most 64 KiB). */
export function idatBombPng(width: number, height: number, inflatedBytes: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = 8;
  const stream = zeroBombStream(inflatedBytes);
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  for (let at = 0; at < stream.length; at += 1 << 16) parts.push(chunk('IDAT', stream.subarray(at, at + (1 << 16))));
  parts.push(chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}
