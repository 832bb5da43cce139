import { describe, expect, test } from 'bun:test';
import { featureStats, featureStatsAccumulator } from './feature-stats.ts';
import { maxAbsDiff, seededRandom } from '../test/support/eval-fixtures.ts';

/** Textbook two-pass mean and unbiased covariance. */
function twoPass(x: ArrayLike<number>, rows: number, dim: number) {
  const mean = new Float64Array(dim);
  for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) mean[j]! += x[r * dim + j]! / rows;
  const cov = new Float64Array(dim * dim);
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < dim; i++)
      for (let j = 0; j < dim; j++) cov[i * dim + j]! += ((x[r * dim + i]! - mean[i]!) * (x[r * dim + j]! - mean[j]!)) / (rows - 1);
  return { mean, cov };
}

describe('featureStatsAccumulator', () => {
  test('gives mean (3,2) and covariance [[4,−2],[−2,4]] for (1,2), (3,4), (5,0)', () => {
    // deviations (−2,0), (0,2), (2,−2): Σxx = 8, Σxy = −4, Σyy = 8, divided by n − 1 = 2
    const stats = featureStats([1, 2, 3, 4, 5, 0], 3, 2);
    expect(stats.count).toBe(3);
    expect(maxAbsDiff(stats.mean, [3, 2])).toBeLessThan(1e-15);
    expect(maxAbsDiff(stats.cov, [4, -2, -2, 4])).toBeLessThan(1e-15);
  });

  test('merging uneven batches gives the two-pass result', () => {
    const rows = 257;
    const dim = 9;
    const rng = seededRandom(3);
    const x = Float32Array.from({ length: rows * dim }, () => rng.normal() * 2 + 1);
    const acc = featureStatsAccumulator(dim);
    for (const [start, size] of [[0, 1], [1, 100], [101, 0], [101, 7], [108, 149]] as const) acc.add(x.subarray(start * dim, (start + size) * dim), size);
    const merged = acc.finish();
    const reference = twoPass(x, rows, dim);
    expect(merged.count).toBe(rows);
    expect(maxAbsDiff(merged.mean, reference.mean)).toBeLessThan(1e-13);
    expect(maxAbsDiff(merged.cov, reference.cov)).toBeLessThan(1e-13);
  });

  test('keeps precision for features with a large common offset', () => {
    const rows = 1000;
    const dim = 4;
    const rng = seededRandom(9);
    const small = Float64Array.from({ length: rows * dim }, () => rng.normal() * 1e-3);
    const acc = featureStatsAccumulator(dim);
    for (let start = 0; start < rows; start += 250) acc.add(small.subarray(start * dim, (start + 250) * dim).map((v) => v + 1e6), 250);
    // The offset changes nothing but the mean; a raw Σxxᵀ − nμμᵀ would lose every digit here.
    expect(maxAbsDiff(acc.finish().cov, twoPass(small, rows, dim).cov)).toBeLessThan(1e-12);
  });

  test('needs two vectors for a covariance', () => {
    const acc = featureStatsAccumulator(3);
    acc.add([1, 2, 3], 1);
    expect(() => acc.finish()).toThrow(/at least 2/);
  });
});
