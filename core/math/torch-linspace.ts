/**
 * `torch.linspace(start, end, n)` in float32, value for value as PyTorch's CPU kernel makes
 * it (checked against torch 1.13.1 on x86-64: every n for T up to 4000). The original code
 * base builds its `uniform-linspace` and `quad` timesteps from it, and float32 rounding moves
 * some of them by one (quad, T = 10, N = 2: √8² is 7.9999995 in float32, so t = 7, not 8).
 *
 * The kernel: step = (end − start) / (n − 1); the first half counts up from start, the second
 * down from end, each one fused multiply-add; runs of 16 are written as two vectors of 8, each
 * `base + k·step` from its first element's value.
 */

const VECTOR = 8;
const scratch = new Float32Array(1);
const bits = new Uint32Array(scratch.buffer);

/** The float32 next to x (a float32) towards +∞ (up) or −∞. */
function nextFloat32(x: number, up: boolean): number {
  if (x === 0) return up ? 1.401298464324817e-45 : -1.401298464324817e-45;
  scratch[0] = x;
  bits[0] = bits[0]! + ((x > 0) === up ? 1 : -1);
  return scratch[0]!;
}

/** a + b·c rounded once to float32 (C's fmaf) for float32 a, b, c. */
export function fmaFloat32(a: number, b: number, c: number): number {
  const product = b * c; // exact: two 24-bit significands fit in 53 bits
  const sum = a + product;
  const back = sum - a;
  const error = a - (sum - back) + (product - back); // sum + error is the exact a + b·c
  const rounded = Math.fround(sum);
  if (error === 0 || rounded === sum) return rounded;
  const low = rounded < sum ? rounded : nextFloat32(rounded, false);
  const high = rounded < sum ? nextFloat32(rounded, true) : rounded;
  // Only a sum exactly halfway between two float32s can round the wrong way.
  if (sum - low !== high - sum) return rounded;
  return error > 0 ? high : low;
}

/** torch.linspace(start, end, n) as float32 values (in a plain array of numbers). */
export function torchLinspaceFloat32(start: number, end: number, n: number): number[] {
  const first = Math.fround(start);
  const last = Math.fround(end);
  if (n === 1) return [first];
  const step = Math.fround(Math.fround(last - first) / (n - 1));
  const halfway = Math.floor(n / 2);
  const at = (i: number) => (i < halfway ? fmaFloat32(first, step, i) : fmaFloat32(last, -step, n - 1 - i));
  const out: number[] = new Array(n);
  let i = 0;
  // Whole pairs of vectors only; the rest element by element.
  for (; i + 2 * VECTOR <= n; i += 2 * VECTOR) {
    for (const offset of [i, i + VECTOR]) {
      const base = at(offset);
      for (let k = 0; k < VECTOR; k++) out[offset + k] = Math.fround(base + Math.fround(k * step));
    }
  }
  for (; i < n; i++) out[i] = at(i);
  return out;
}
