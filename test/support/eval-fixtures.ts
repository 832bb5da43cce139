/** Fixtures for the evaluation tests: seeded random numbers and matrices (no Math.random), idx files. */
import { philox4x32 } from '../../core/noise/philox.ts';

/** A small deterministic generator: mulberry32 for uniforms, Box–Muller for normals. */
export function seededRandom(seed: number): { uniform(): number; normal(): number } {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    normal() {
      const u = 1 - uniform();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
    },
  };
}

/** A random symmetric n×n matrix (row-major). */
export function randomSymmetric(n: number, seed: number): Float64Array {
  const rng = seededRandom(seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rng.normal();
  return a;
}

/** X·Xᵀ/k for a random n×k X: symmetric PSD, of rank min(n, k). */
export function randomPsd(n: number, k: number, seed: number): Float64Array {
  const rng = seededRandom(seed);
  const x = Float64Array.from({ length: n * k }, () => rng.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let c = 0; c < k; c++) sum += x[i * k + c]! * x[j * k + c]!;
    a[i * n + j] = sum / k;
  }
  return a;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** An unsigned-byte idx file as the MNIST distribution writes it (big-endian dims). */
export function idxBytes(dims: number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  const view = new DataView(header.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

/**
 * docs/EVAL.md's split shuffle written out again for the tests, apart from eval/split-order.ts:
 * Fisher–Yates from the last position down, draw i the first word of Philox4x32-10 at counter
 * (i, 0, 0, 0) under key (2020, 0), scaled to 0..i.
 */
export function documentedShuffle(n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const draw = new Uint32Array(4);
  for (let i = n - 1; i > 0; i--) {
    philox4x32(i, 0, 0, 0, 2020, 0, draw);
    const j = Math.floor((draw[0]! * (i + 1)) / 2 ** 32);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
