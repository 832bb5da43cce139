import { describe, expect, test } from 'bun:test';
import { type EpsConversion, GuidedEps, epsConversion } from './guidance.ts';


const ALPHA = 0.37;
const SIZE = 3;

/** ε of one output in float64, from the formulas of the original's classifier_free.py (and v's definition). */
function epsOf(objective: 'pred_eps' | 'pred_x0' | 'pred_v', x: number, out: number): number {
  if (objective === 'pred_eps') return out;
  if (objective === 'pred_x0') return (Math.sqrt(1 / ALPHA) * x - out) / Math.sqrt(1 / ALPHA - 1);
  return Math.sqrt(ALPHA) * out + Math.sqrt(1 - ALPHA) * x;
}

interface Rows {
  count: number;
  size: number;
  outStride: number;
  rowsPerItem: 1 | 2;
  scale: number;
  labels: number[];
}

/** The sampler's way: each row to ε, then the built-in rule (GuidedEps without a rule given). */
function guidedEps(c: EpsConversion, x: Float32Array, out: Float32Array, rows: Rows, eps: Float32Array): void {
  const guided = new GuidedEps(undefined, rows.scale, [0], 1000, rows.size);
  guided.reserve(rows.count * rows.size, rows.rowsPerItem === 2);
  const used = out.subarray(0, rows.rowsPerItem * rows.count * rows.outStride);
  eps.set(guided.of(c, x, used, rows.count, rows.rowsPerItem, rows.labels, 0, 'sample').subarray(0, eps.length));
}

describe('guided ε', () => {
  const x = Float32Array.from([0.3, -1.2, 0.8, 1.5, 0.1, -0.4]);
  // Two items; rows 0-1 with their classes, rows 2-3 without, each with a second half (learned variance) to skip.
  const out = Float32Array.from({ length: 4 * 2 * SIZE }, (_, i) => Math.sin(i * 1.7));
  const row = (r: number, j: number) => out[r * 2 * SIZE + j]!;

  for (const objective of ['pred_eps', 'pred_x0', 'pred_v'] as const) {
    test(`${objective}: ε = (1 − s)·ε_u + s·ε_c from each output's own ε, to float32 rounding`, () => {
      const eps = new Float32Array(2 * SIZE);
      guidedEps(epsConversion(objective, ALPHA), x, out, { count: 2, size: SIZE, outStride: 2 * SIZE, rowsPerItem: 2, scale: 3, labels: [4, 7] }, eps);
      for (let s = 0; s < 2; s++) {
        for (let j = 0; j < SIZE; j++) {
          const xi = x[s * SIZE + j]!;
          const expected = -2 * epsOf(objective, xi, row(2 + s, j)) + 3 * epsOf(objective, xi, row(s, j));
          expect(Math.abs(eps[s * SIZE + j]! - expected)).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected)));
        }
      }
    });
  }

  test('an item without a class (label < 0) takes its unconditional ε alone', () => {
    const eps = new Float32Array(2 * SIZE);
    guidedEps(epsConversion('pred_eps', ALPHA), x, out, { count: 2, size: SIZE, outStride: 2 * SIZE, rowsPerItem: 2, scale: 3, labels: [-1, 7] }, eps);
    for (let j = 0; j < SIZE; j++) expect(eps[j]).toBe(row(2, j));
    expect(eps[SIZE]).not.toBe(row(3, 0));
  });

  test('one row per item (s = 0 or 1) passes each output through as ε', () => {
    const eps = new Float32Array(2 * SIZE);
    guidedEps(epsConversion('pred_eps', ALPHA), x, out, { count: 2, size: SIZE, outStride: 2 * SIZE, rowsPerItem: 1, scale: 1, labels: [4, 7] }, eps);
    for (let s = 0; s < 2; s++) for (let j = 0; j < SIZE; j++) expect(eps[s * SIZE + j]).toBe(row(s, j));
  });
});
