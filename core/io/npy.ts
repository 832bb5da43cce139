/** NumPy .npy files (format 1.0/2.0, little-endian float32/float64, C order). */
import { UserError } from '../errors.ts';

export interface NpyArray {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parse a .npy buffer into float32 (float64 files are narrowed). */
export function parseNpy(bytes: Uint8Array, name = 'npy file'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new UserError(`${name}: not a .npy file`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new UserError(`${name}: unreadable .npy header`);
  if (fortran) throw new UserError(`${name}: Fortran-order arrays are not supported; save with np.ascontiguousarray`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = headerStart + headerLength;
  const body = bytes.subarray(offset);
  let data: Float32Array;
  if (descr === '<f4') {
    if (body.length < count * 4) throw new UserError(`${name}: truncated (${body.length} bytes of data for shape [${shape}])`);
    data = new Float32Array(count);
    new Uint8Array(data.buffer).set(body.subarray(0, count * 4));
  } else if (descr === '<f8') {
    if (body.length < count * 8) throw new UserError(`${name}: truncated (${body.length} bytes of data for shape [${shape}])`);
    const wide = new Float64Array(count);
    new Uint8Array(wide.buffer).set(body.subarray(0, count * 8));
    data = Float32Array.from(wide);
  } else {
    throw new UserError(`${name}: dtype ${descr} is not supported; expected float32 (<f4) or float64 (<f8)`);
  }
  return { shape, data };
}

/** The header of a little-endian float32 C-order array of `shape` (format 1.0). */
export function npyHeader(shape: readonly number[]): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  // Pad so that the data starts on a 64-byte boundary, ending with a newline.
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total);
  out.set(MAGIC);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, dict.length, true);
  out.set(new TextEncoder().encode(dict), 10);
  return out;
}

/** A whole .npy file in memory. */
export function encodeNpy(shape: readonly number[], data: Float32Array): Uint8Array {
  const header = npyHeader(shape);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  return out;
}
