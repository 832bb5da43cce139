import { describe, expect, test } from 'bun:test';
import { multiply } from './matrix.ts';
import { sqrtPsd, traceSqrtPsd } from './matrix-sqrt.ts';
import { symmetricEigen } from './symmetric-eigen.ts';
import { maxAbsDiff, randomPsd } from '../test/support/eval-fixtures.ts';

describe('sqrtPsd', () => {
  test('the root of [[5,4],[4,5]] is [[2,1],[1,2]] (checked by hand: its square is the input)', () => {
    expect(maxAbsDiff(sqrtPsd(Float64Array.of(5, 4, 4, 5), 2), [2, 1, 1, 2])).toBeLessThan(1e-14);
  });

  test('the root of [[5,4,1],[4,6,4],[1,4,5]] is the positive definite [[2,1,0],[1,2,1],[0,1,2]]', () => {
    // [[2,1,0],[1,2,1],[0,1,2]] squared, row by row: (5,4,1), (4,6,4), (1,4,5); its eigenvalues 2−√2, 2, 2+√2 are positive.
    const root = sqrtPsd(Float64Array.of(5, 4, 1, 4, 6, 4, 1, 4, 5), 3);
    expect(maxAbsDiff(root, [2, 1, 0, 1, 2, 1, 0, 1, 2])).toBeLessThan(1e-14);
  });

  test('takes element-wise roots of a singular diagonal matrix', () => {
    expect(maxAbsDiff(sqrtPsd(Float64Array.of(4, 0, 0, 0, 9, 0, 0, 0, 0), 3), [2, 0, 0, 0, 3, 0, 0, 0, 0])).toBe(0);
  });

  test('squares back to a random rank-deficient 64×64 covariance and is itself PSD', () => {
    const n = 64;
    const a = randomPsd(n, 40, 11);
    const root = sqrtPsd(a, n);
    expect(maxAbsDiff(multiply(root, root, n), a)).toBeLessThan(1e-12);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(root[i * n + j]).toBe(root[j * n + i]!);
    expect(symmetricEigen(root, n).values[0]!).toBeGreaterThan(-1e-7);
  });

  test('refuses a matrix with a clearly negative eigenvalue', () => {
    expect(() => sqrtPsd(Float64Array.of(1, 2, 2, 1), 2)).toThrow(/not positive semi-definite/);
  });
});

describe('traceSqrtPsd', () => {
  test('sums the roots of the eigenvalues', () => {
    expect(traceSqrtPsd(Float64Array.of(1, 0, 0, 0, 4, 0, 0, 0, 9), 3)).toBeCloseTo(6, 14);
    expect(traceSqrtPsd(Float64Array.of(5, 4, 4, 5), 2)).toBeCloseTo(4, 14);
  });
});
