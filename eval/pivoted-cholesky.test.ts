import { describe, expect, test } from 'bun:test';
import { featureStats } from './feature-stats.ts';
import { pivotedCholesky } from './pivoted-cholesky.ts';
import { seededRandom } from '../test/support/eval-fixtures.ts';

/** L·Lᵀ from the columns pivotedCholesky returns. */
function product(columns: Float64Array[], n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (const column of columns) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j]! += column[i]! * column[j]!;
  return out;
}

function covarianceOf(rows: number, dim: number, seed: number): Float64Array {
  const rng = seededRandom(seed);
  return featureStats(Float64Array.from({ length: rows * dim }, () => rng.normal()), rows, dim).cov;
}

describe('pivotedCholesky', () => {
  test('factors a hand-checked 2×2 matrix, largest diagonal first', () => {
    // [[2, 2], [2, 4]]: pivot on 4 first: L₁ = [1, 2], then √(2 − 1) = 1 on the other row.
    const columns = pivotedCholesky(Float64Array.of(2, 2, 2, 4), 2);
    expect(columns.map((c) => Array.from(c))).toEqual([[1, 2], [1, 0]]);
  });

  test.each([
    ['full rank (200 vectors in 24-d)', 200, 24, 24],
    ['rank 9 (10 vectors in 24-d)', 10, 24, 9],
  ])('reproduces a covariance, %s, with as many columns as its rank', (_name, rows, dim, rank) => {
    const cov = covarianceOf(rows, dim, rows);
    const columns = pivotedCholesky(cov, dim);
    expect(columns).toHaveLength(rank);
    const back = product(columns, dim);
    let scale = 0;
    for (let i = 0; i < dim; i++) scale = Math.max(scale, cov[i * dim + i]!);
    for (let i = 0; i < dim * dim; i++) expect(Math.abs(back[i]! - cov[i]!)).toBeLessThan(1e-12 * scale);
  });

  test('the zero matrix has no columns', () => {
    expect(pivotedCholesky(new Float64Array(9), 3)).toEqual([]);
  });
});
