/** The idx format of (Fashion-)MNIST: `*-images-idx3-ubyte(.gz)`, `*-labels-idx1-ubyte(.gz)`. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { firstLine, UserError } from '../core/errors.ts';

export interface IdxArray {
  /** e.g. [10000, 28, 28] for images, [10000] for labels. */
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/** The first bytes of a gzip stream. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Whether bytes start like an unsigned-byte idx array (0x00 0x00 0x08 ndims). */
export function isIdx(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0x08 && bytes[3]! >= 1;
}

/** Parse an unsigned-byte idx array from a file, gzipped or not. */
export function readIdx(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
    if (isGzip(bytes)) bytes = gunzipSync(bytes);
  } catch (error) {
    const reason = firstLine(error);
    throw new UserError(`cannot read idx file ${path}: ${reason}`);
  }
  if (!isIdx(bytes)) throw new UserError(`${path} is not an unsigned-byte idx file (expected bytes 00 00 08 ndims)`);
  const ndims = bytes[3]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = 4 + 4 * ndims;
  if (bytes.length < header) throw new UserError(`${path}: truncated idx header`);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== header + size) throw new UserError(`${path}: idx header promises [${dims.join(',')}] = ${size} bytes of data, found ${bytes.length - header}`);
  return { dims, data: bytes.subarray(header) };
}
