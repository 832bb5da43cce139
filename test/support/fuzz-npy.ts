/**
 * `.npy` noise files for the fuzz pass: the reference array written every valid way numpy
 * can (float64, format 2.0/3.0, a long header, `L` suffixes, spare rows), and broken ones
 * (truncated, another dtype, big-endian, Fortran order, wrong or huge shapes, NaN values).
 */
import { encodeNpy } from '../../core/io/npy.ts';
import type { Draws } from './fuzz-harness.ts';

export interface NpyDraw {
  readonly kind: string;
  readonly bytes: Uint8Array;
  /** The reference values, written another valid way: the run must give the reference's result. */
  readonly same: boolean;
  /** Certainly wrong: the run must fail. */
  readonly broken: boolean;
  /** A valid file (the reference's values or others): the run must give a result. */
  readonly valid: boolean;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** A .npy file from a header dict as written, a format version and the data bytes. */
export function rawNpy(dict: string, data: Uint8Array, major = 1, declaredLength?: number): Uint8Array {
  const preamble = major === 1 ? 10 : 12;
  const text = new TextEncoder().encode(`${dict}\n`);
  const out = new Uint8Array(preamble + text.length + data.length);
  out.set(MAGIC);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, declaredLength ?? text.length, true);
  else view.setUint32(8, declaredLength ?? text.length, true);
  out.set(text, preamble);
  out.set(data, preamble + text.length);
  return out;
}

const dictOf = (descr: string, shape: string, fortran = 'False') => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
const bytesOf = (a: Float32Array | Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * One noise file: `reference` holds `rows` rows of `size` (C·H·W) values, the noise a run
 * of `rows` samples needs.
 */
export function fuzzNpy(draws: Draws, reference: Float32Array, rows: number, size: number): NpyDraw {
  const f32 = bytesOf(reference);
  const shape = `(${rows}, 1, 32, 32)`;
  const ok = (kind: string, bytes: Uint8Array): NpyDraw => ({ kind, bytes, same: true, broken: false, valid: true });
  const bad = (kind: string, bytes: Uint8Array): NpyDraw => ({ kind, bytes, same: false, broken: true, valid: false });
  const either = (kind: string, bytes: Uint8Array): NpyDraw => ({ kind, bytes, same: false, broken: false, valid: false });
  const spoiled = (value: number) => {
    const copy = reference.slice();
    copy[draws.int(copy.length)] = value;
    return bytesOf(copy);
  };
  switch (draws.int(20)) {
    case 0: return ok('float32', encodeNpy([rows, 1, 32, 32], reference));
    case 1: return ok('float64', encodeNpy([rows, 1, 32, 32], Float64Array.from(reference)));
    case 2: return ok('format 2.0', rawNpy(dictOf('<f4', shape), f32, 2));
    case 3: return ok('format 3.0', rawNpy(dictOf('<f4', shape), f32, 3));
    case 4: return ok('L suffixes', rawNpy(dictOf('<f4', `(${rows}L, 1L, 32L, 32L)`), f32));
    case 5: return ok('a 1 MB header', rawNpy(dictOf('<f4', shape).padEnd(1 << 20, ' '), f32, 2));
    case 6: return ok('spare rows and trailing bytes', rawNpy(dictOf('<f4', `(${rows + 1}, 1, 32, 32)`), Uint8Array.from([...f32, ...f32.subarray(0, size * 4), 1, 2, 3])));
    case 7: {
      const full = encodeNpy([rows, 1, 32, 32], reference);
      return bad('truncated', full.subarray(0, draws.int(full.length)));
    }
    case 8: return bad('another dtype', rawNpy(dictOf(draws.pick(['<i4', '<f2', '|u1', '<c8', '|b1', '<U10', '|O', '<i8', '<u2', 'float32', "f4'", '']), shape), f32));
    case 9: return bad('big-endian', rawNpy(dictOf(draws.pick(['>f4', '>f8']), shape), f32));
    case 10: return bad('Fortran order', rawNpy(dictOf('<f4', shape, 'True'), f32));
    case 11: {
      const [dims, broken] = draws.pick([[`(${rows}, 3, 32, 32)`, true], [`(${rows}, 1, 28, 28)`, true], [`(${rows * size},)`, true], ['()', true], ['(0, 1, 32, 32)', true], [`(1, ${rows}, 1, 32, 32)`, true], [`(${rows}, 32, 32)`, false], [`(${rows}, 1, 32, 32, 1)`, false], ['(1, 1, 32, 32)', true]] as const);
      return broken ? bad(`shape ${dims}`, rawNpy(dictOf('<f4', dims), f32)) : either(`shape ${dims}`, rawNpy(dictOf('<f4', dims), f32));
    }
    case 12: return bad('a huge declared shape', rawNpy(dictOf('<f4', draws.pick(['(1000000000000, 1, 32, 32)', '(9223372036854775807, 1, 32, 32)', '(99999999999999999999, 1, 32, 32)', '(4294967296, 1, 32, 32)', '(2000000, 1, 32, 32)'])), f32));
    case 13: return bad('a huge declared header length', rawNpy(dictOf('<f4', shape), f32, draws.pick([1, 2]), draws.pick([0xffff, 0xffffffff, 0x7fffffff])));
    case 14: return bad('a negative or odd dimension', rawNpy(dictOf('<f4', draws.pick(['(-1, 1, 32, 32)', '(2.5, 1, 32, 32)', '(1e3, 1, 32, 32)', '(0x2, 1, 32, 32)', '(2, 1, 32, 32', 'None'])), f32));
    case 15: return bad('a garbage header', rawNpy(draws.text(draws.int(200)), f32, draws.pick([1, 2, 3])));
    case 16: return bad('a non-finite value', rawNpy(dictOf('<f4', shape), spoiled(draws.pick([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]))));
    case 17: return bad('random bytes', draws.random() < 0.2 ? new Uint8Array(0) : draws.bytes(draws.int(5000)));
    case 18: return bad('an unknown format version', rawNpy(dictOf('<f4', shape), f32, draws.pick([0, 4, 255])));
    default: return bad('a zip archive (.npz)', Uint8Array.from([0x50, 0x4b, 0x03, 0x04, ...draws.bytes(100)]));
  }
}
