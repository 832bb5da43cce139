import { describe, expect, test } from 'bun:test';
import { multiply } from './matrix.ts';
import { symmetricEigen } from './symmetric-eigen.ts';
import { maxAbsDiff, randomPsd, randomSymmetric } from '../test/support/eval-fixtures.ts';

/** V·diag(λ)·Vᵀ */
function rebuild(values: Float64Array, vectors: Float64Array, n: number): Float64Array {
  const scaled = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) scaled[i * n + k] = vectors[i * n + k]! * values[k]!;
  const vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vt[j * n + i] = vectors[i * n + j]!;
  return multiply(scaled, vt, n);
}

function gram(vectors: Float64Array, n: number): Float64Array {
  const vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vt[j * n + i] = vectors[i * n + j]!;
  return multiply(vt, vectors, n);
}

const identity = (n: number) => Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));

describe('symmetricEigen', () => {
  test('finds 1 and 3 for [[2,1],[1,2]], with eigenvectors along (1,-1) and (1,1)', () => {
    const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
    expect(values[0]).toBeCloseTo(1, 14);
    expect(values[1]).toBeCloseTo(3, 14);
    // Column 0 ∝ (1,-1), column 1 ∝ (1,1); the sign of an eigenvector is free.
    expect(Math.abs(vectors[0]!)).toBeCloseTo(Math.SQRT1_2, 14);
    expect(vectors[0]! * vectors[2]!).toBeCloseTo(-0.5, 14);
    expect(vectors[1]! * vectors[3]!).toBeCloseTo(0.5, 14);
  });

  test('finds 2−√2, 2, 2+√2 for the 3×3 second-difference matrix', () => {
    const a = Float64Array.of(2, -1, 0, -1, 2, -1, 0, -1, 2);
    const { values, vectors } = symmetricEigen(a, 3);
    expect(maxAbsDiff(values, [2 - Math.SQRT2, 2, 2 + Math.SQRT2])).toBeLessThan(1e-14);
    // The smallest one's eigenvector is (1, √2, 1)/2, up to sign.
    const sign = Math.sign(vectors[0]!);
    expect(maxAbsDiff([vectors[0]! * sign, vectors[3]! * sign, vectors[6]! * sign], [0.5, Math.SQRT1_2, 0.5])).toBeLessThan(1e-14);
  });

  test('handles diagonal matrices with repeated eigenvalues, 1×1 and all-zero input', () => {
    const diagonal = symmetricEigen(Float64Array.of(3, 0, 0, 0, 1, 0, 0, 0, 3), 3);
    expect(Array.from(diagonal.values)).toEqual([1, 3, 3]);
    expect(maxAbsDiff(gram(diagonal.vectors, 3), identity(3))).toBeLessThan(1e-15);
    expect(Array.from(symmetricEigen([7], 1).values)).toEqual([7]);
    const zero = symmetricEigen(new Float64Array(16), 4);
    expect(Array.from(zero.values)).toEqual([0, 0, 0, 0]);
    expect(maxAbsDiff(gram(zero.vectors, 4), identity(4))).toBe(0);
  });

  test('rebuilds a random symmetric 60×60 matrix from orthonormal eigenvectors, eigenvalues ascending', () => {
    const n = 60;
    const a = randomSymmetric(n, 7);
    const { values, vectors } = symmetricEigen(a, n);
    for (let i = 1; i < n; i++) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
    expect(maxAbsDiff(rebuild(values, vectors, n), a)).toBeLessThan(1e-11);
    expect(maxAbsDiff(gram(vectors, n), identity(n))).toBeLessThan(1e-12);
  });

  test('keeps the zero eigenvalues of a rank-deficient 128×128 covariance at zero', () => {
    const n = 128;
    const a = randomPsd(n, 20, 3);
    const { values, vectors } = symmetricEigen(a, n);
    expect(maxAbsDiff(rebuild(values, vectors, n), a)).toBeLessThan(1e-11);
    // rank 20: 108 eigenvalues are zero up to round-off, the other 20 clearly positive
    const scale = values[n - 1]!;
    expect(values.slice(0, n - 20).every((v) => Math.abs(v) < 1e-12 * scale)).toBe(true);
    expect(values[n - 20]!).toBeGreaterThan(1e-3 * scale);
  });

  test('finds the same eigenvalues without eigenvectors', () => {
    for (const [n, seed] of [[1, 1], [2, 2], [5, 3], [77, 4]] as const) {
      const a = randomSymmetric(n, seed);
      const full = symmetricEigen(a, n);
      const valuesOnly = symmetricEigen(a, n, { vectors: false });
      expect(valuesOnly.vectors).toHaveLength(0);
      expect(maxAbsDiff(valuesOnly.values, full.values)).toBeLessThan(1e-12);
    }
    const psd = randomPsd(40, 10, 5);
    expect(maxAbsDiff(symmetricEigen(psd, 40, { vectors: false }).values, symmetricEigen(psd, 40).values)).toBeLessThan(1e-13);
  });

  test('reads only the lower triangle and leaves its input untouched', () => {
    const a = Float64Array.of(2, 99, 1, 2);
    symmetricEigen(a, 2);
    expect(Array.from(a)).toEqual([2, 99, 1, 2]);
    expect(Array.from(symmetricEigen(a, 2).values).map((v) => Math.round(v * 1e12) / 1e12)).toEqual([1, 3]);
  });

  test('rejects non-finite entries and a wrong size', () => {
    expect(() => symmetricEigen(Float64Array.of(1, Number.NaN, Number.NaN, 1), 2)).toThrow(/non-finite/);
    expect(() => symmetricEigen(new Float64Array(5), 2)).toThrow(/expected 2×2/);
  });
});
