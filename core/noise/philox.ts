/**
 * Counter-based Gaussian noise: Philox4x32-10 (Salmon et al., SC'11) + Box–Muller.
 *
 * Every value is a pure function of (seed, stream, step, domain, element index), so the
 * noise of sample i never depends on the micro-batch, on the other samples in flight,
 * or on how many samples a run makes.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO_PI = 2 * Math.PI;
const INV_2_32 = 1 / 4294967296;

/** High 32 bits of the 64-bit product of two uint32 (exact, in 16-bit limbs). */
function mulhi(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const loHi = aLo * bHi;
  const hiLo = aHi * bLo;
  const mid = ((aLo * bLo) >>> 16) + (loHi & 0xffff) + (hiLo & 0xffff);
  return (aHi * bHi + (loHi >>> 16) + (hiLo >>> 16) + (mid >>> 16)) >>> 0;
}

/** Philox4x32-10 of counter (c0..c3) under key (k0, k1), written to out[0..3]. */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array): void {
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/** Where a noise stream belongs: which sample, which step, and which use. */
export interface NoiseKey {
  /** The run's seed (an integer, up to 2^53). */
  readonly seed: number;
  /** Usually the sample index. */
  readonly stream: number;
  /** The step index, or INITIAL_STEP for x_T. */
  readonly step: number;
  /** Separates independent uses of the same (stream, step), e.g. per mode. */
  readonly domain?: number;
}

/** The step number used for initial noise x_T. */
export const INITIAL_STEP = 0xffffffff;

const block = new Uint32Array(4);

/** Fill out[offset .. offset+count) with standard normal float32 values for `key`. */
export function fillGaussian(out: Float32Array, offset: number, count: number, key: NoiseKey): void {
  const k0 = key.seed >>> 0;
  const k1 = Math.floor(key.seed / 4294967296) >>> 0;
  const stream = key.stream >>> 0;
  const step = key.step >>> 0;
  const domain = (key.domain ?? 0) >>> 0;
  for (let i = 0, counter = 0; i < count; counter++) {
    philox4x32(counter, stream, step, domain, k0, k1, block);
    for (let pair = 0; pair < 4 && i < count; pair += 2) {
      // u1 in (0, 1] keeps the log finite.
      const radius = Math.sqrt(-2 * Math.log((block[pair]! + 1) * INV_2_32));
      const angle = TWO_PI * block[pair + 1]! * INV_2_32;
      out[offset + i++] = radius * Math.cos(angle);
      if (i < count) out[offset + i++] = radius * Math.sin(angle);
    }
  }
}
