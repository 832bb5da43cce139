/** NumPy .npy files (format 1.0/2.0/3.0, little-endian float32/float64, C order). */
import { oneLine, UserError } from '../errors.ts';

export interface NpyArray {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** A float64 array read from .npy (statistics keep their precision). */
export interface Float64NpyArray {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** A .npy file's header: what it declares, before any data is read. */
export interface NpyHeaderInfo {
  readonly shape: readonly number[];
  readonly descr: string;
  /** Values the shape declares (the product of its dimensions). */
  readonly count: number;
  /** Where the data start. */
  readonly dataOffset: number;
}

/** A decoded .npy header and where its data lie. */
interface NpyLayout extends NpyHeaderInfo {
  readonly body: Uint8Array;
}

/**
 * Read and check a .npy header (format 1.0, 2.0 or 3.0): magic, version, a little-endian
 * float32/float64 C-order array, a shape of whole numbers. No data are read.
 */
export function parseNpyHeader(bytes: Uint8Array, name = 'npy file'): NpyHeaderInfo {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new UserError(`${name}: not a .npy file`);
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new UserError(`${name}: .npy format version ${major}.${bytes[7]} is not supported; expected 1.0, 2.0 or 3.0`);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) throw new UserError(`${name}: truncated .npy header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerStart + headerLength > bytes.length) {
    throw new UserError(`${name}: truncated .npy header (it declares ${headerLength} bytes, the file has ${bytes.length - headerStart} after the preamble)`);
  }
  const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new UserError(`${name}: unreadable .npy header`);
  if (fortran) throw new UserError(`${name}: Fortran-order arrays are not supported; save with np.ascontiguousarray`);
  if (descr !== '<f4' && descr !== '<f8') {
    const shown = oneLine(descr.length > 20 ? `${descr.slice(0, 20)}…` : descr);
    const hint = descr === '>f4' || descr === '>f8' ? ' (this one is big-endian: save with arr.astype("<f4"))' : '';
    throw new UserError(`${name}: dtype ${shown} is not supported; expected float32 (<f4) or float64 (<f8)${hint}`);
  }
  const dims = shapeText.split(',').map((s) => s.trim()).filter(Boolean);
  // Python 2's numpy wrote long integers with an L suffix.
  if (!dims.every((d) => /^\d{1,20}L?$/.test(d))) throw new UserError(`${name}: unreadable .npy shape (${oneLine(shapeText.trim().slice(0, 60))})`);
  const shape = dims.map((d) => Number.parseInt(d, 10));
  return { shape, descr, count: shape.reduce((a, b) => a * b, 1), dataOffset: headerStart + headerLength };
}

function npyLayout(bytes: Uint8Array, name: string): NpyLayout {
  const header = parseNpyHeader(bytes, name);
  const { shape, descr, count, dataOffset } = header;
  const body = bytes.subarray(dataOffset);
  const size = descr === '<f4' ? 4 : 8;
  if (body.length < count * size) throw new UserError(`${name}: truncated (${body.length} bytes of data for shape [${shape}])`);
  return { ...header, body: body.subarray(0, count * size) };
}

/** The values of a float32 or float64 layout, copied into an aligned array of `Target`'s type. */
function values<Target extends Float32Array | Float64Array>(layout: NpyLayout, make: (count: number) => Target): Target {
  const out = make(layout.count);
  if ((layout.descr === '<f4') === out instanceof Float32Array) {
    new Uint8Array(out.buffer).set(layout.body);
  } else {
    const aligned = layout.descr === '<f4' ? new Float32Array(layout.count) : new Float64Array(layout.count);
    new Uint8Array(aligned.buffer).set(layout.body);
    out.set(aligned);
  }
  return out;
}

/** Parse a .npy buffer into float32 (float64 files are narrowed). */
export function parseNpy(bytes: Uint8Array, name = 'npy file'): NpyArray {
  const layout = npyLayout(bytes, name);
  return { shape: layout.shape, data: values(layout, (n) => new Float32Array(n)) };
}

/** Parse a .npy buffer into float64, for statistics that must keep their precision. */
export function parseNpyFloat64(bytes: Uint8Array, name = 'npy file'): Float64NpyArray {
  const layout = npyLayout(bytes, name);
  return { shape: layout.shape, data: values(layout, (n) => new Float64Array(n)) };
}

/** The header of a little-endian C-order array of `shape` (format 1.0), float32 unless told. */
export function npyHeader(shape: readonly number[], descr: '<f4' | '<f8' = '<f4'): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
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

/** A whole .npy file in memory, float32 or float64 as `data` is. */
export function encodeNpy(shape: readonly number[], data: Float32Array | Float64Array): Uint8Array {
  const header = npyHeader(shape, data instanceof Float64Array ? '<f8' : '<f4');
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  return out;
}
