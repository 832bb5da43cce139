import { describe, expect, test } from 'bun:test';
import { type FeatureStats, featureStats } from './feature-stats.ts';
import { frechetDistance } from './frechet-distance.ts';
import { multiply, symmetrize, trace } from './matrix.ts';
import { sqrtPsd, traceSqrtPsd } from './matrix-sqrt.ts';
import { randomPsd, seededRandom } from '../test/support/eval-fixtures.ts';

function gaussianStats(mean: number[], cov: number[]): FeatureStats {
  return { count: 100, dim: mean.length, mean: Float64Array.from(mean), cov: Float64Array.from(cov) };
}

/** rows×dim correlated random features: x = z·L with a random mixing L, plus a per-feature offset. */
function randomFeatures(rows: number, dim: number, seed: number): Float64Array {
  const rng = seededRandom(seed);
  const mixing = Float64Array.from({ length: dim * dim }, () => rng.normal() / Math.sqrt(dim));
  const offset = Float64Array.from({ length: dim }, () => 3 * rng.normal());
  const out = new Float64Array(rows * dim);
  const z = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < dim; k++) z[k] = rng.normal();
    for (let j = 0; j < dim; j++) {
      let sum = offset[j]!;
      for (let k = 0; k < dim; k++) sum += z[k]! * mixing[k * dim + j]!;
      out[r * dim + j] = sum;
    }
  }
  return out;
}

/** The same distance the textbook way: Tr((√Σ₁ Σ₂ √Σ₁)^½) through a full eigendecomposition of Σ₁. */
function frechetByEigen(a: FeatureStats, b: FeatureStats): number {
  const n = a.dim;
  let meanTerm = 0;
  for (let i = 0; i < n; i++) meanTerm += (a.mean[i]! - b.mean[i]!) ** 2;
  const root = sqrtPsd(a.cov, n);
  const middle = symmetrize(multiply(multiply(root, b.cov, n), root, n), n);
  return meanTerm + trace(a.cov, n) + trace(b.cov, n) - 2 * traceSqrtPsd(middle, n);
}

describe('frechetDistance', () => {
  test.each([
    ['both full rank', 400, 300],
    ['the first singular (20 vectors in 64-d)', 20, 300],
    ['the second singular', 300, 20],
    ['both singular', 20, 30],
  ])('agrees with the eigendecomposition route: %s', (_name, rowsA, rowsB) => {
    const a = featureStats(randomFeatures(rowsA, 64, 11), rowsA, 64);
    const b = featureStats(randomFeatures(rowsB, 64, 12), rowsB, 64);
    const expected = frechetByEigen(a, b);
    expect(Math.abs(frechetDistance(a, b) - expected)).toBeLessThan(1e-9 * (trace(a.cov, 64) + trace(b.cov, 64)));
  });

  test('is 0 between a 128-d feature set and itself', () => {
    const stats = featureStats(randomFeatures(600, 128, 1), 600, 128);
    let scale = 0;
    for (let i = 0; i < 128; i++) scale += stats.cov[i * 129]!;
    expect(Math.abs(frechetDistance(stats, stats))).toBeLessThan(1e-10 * scale);
  });

  test('is 0 between a rank-deficient set (20 vectors in 128-d) and itself', () => {
    const stats = featureStats(randomFeatures(20, 128, 4), 20, 128);
    let scale = 0;
    for (let i = 0; i < 128; i++) scale += stats.cov[i * 129]!;
    expect(Math.abs(frechetDistance(stats, stats))).toBeLessThan(1e-10 * scale);
  });

  test('is |d|² when the second set is the first shifted by d', () => {
    const rows = 400;
    const dim = 32;
    const x = randomFeatures(rows, dim, 2);
    const rng = seededRandom(5);
    const d = Float64Array.from({ length: dim }, () => rng.normal());
    const shifted = x.map((value, i) => value + d[i % dim]!);
    const expected = d.reduce((sum, v) => sum + v * v, 0);
    const distance = frechetDistance(featureStats(x, rows, dim), featureStats(shifted, rows, dim));
    expect(Math.abs(distance - expected)).toBeLessThan(1e-9 * expected);
  });

  test('is (μ₁−μ₂)² + (σ₁−σ₂)² in one dimension', () => {
    const distance = frechetDistance(gaussianStats([1], [4]), gaussianStats([-2], [0.25]));
    expect(distance).toBeCloseTo(9 + (2 - 0.5) ** 2, 13);
  });

  test('is |μ₁−μ₂|² + Σ(√aᵢ − √bᵢ)² for diagonal covariances', () => {
    const a = [1, 4, 9, 0.5];
    const b = [2, 1, 16, 0];
    const expected = 0.5 ** 2 + a.reduce((sum, ai, i) => sum + (Math.sqrt(ai) - Math.sqrt(b[i]!)) ** 2, 0);
    const diag = (v: number[]) => v.flatMap((x, i) => v.map((_, j) => (i === j ? x : 0)));
    expect(frechetDistance(gaussianStats([0, 0, 0.5, 0], diag(a)), gaussianStats([0, 0, 0, 0], diag(b)))).toBeCloseTo(expected, 13);
  });

  test('matches the closed form Tr√(S₁S₂) = √(tr(S₁S₂) + 2√det(S₁S₂)) for non-commuting 2×2 covariances', () => {
    const s1 = [2, 1, 1, 1];
    const s2 = [1, -0.5, -0.5, 3];
    // S₁S₂ by hand: [[2−0.5, −1+3], [1−0.5, −0.5+3]] = [[1.5, 2], [0.5, 2.5]]; S₁S₂ ≠ S₂S₁.
    const product = [1.5, 2, 0.5, 2.5];
    const tr = product[0]! + product[3]!;
    const det = product[0]! * product[3]! - product[1]! * product[2]!;
    const trSqrt = Math.sqrt(tr + 2 * Math.sqrt(det));
    const expected = (1 - 0) ** 2 + (2 - 1) ** 2 + (2 + 1) + (1 + 3) - 2 * trSqrt;
    const distance = frechetDistance(gaussianStats([1, 2], s1), gaussianStats([0, 1], s2));
    expect(distance).toBeCloseTo(expected, 13);
    expect(frechetDistance(gaussianStats([0, 1], s2), gaussianStats([1, 2], s1))).toBeCloseTo(expected, 13);
  });

  test('is symmetric and positive between two different random 64-d Gaussians', () => {
    const a = { count: 10, dim: 64, mean: new Float64Array(64), cov: randomPsd(64, 100, 1) };
    const b = { count: 10, dim: 64, mean: new Float64Array(64).fill(0.1), cov: randomPsd(64, 150, 2) };
    const ab = frechetDistance(a, b);
    expect(ab).toBeGreaterThan(0.64);
    expect(Math.abs(ab - frechetDistance(b, a))).toBeLessThan(1e-9 * ab);
  });

  test('refuses statistics of different dimensions', () => {
    expect(() => frechetDistance(gaussianStats([0], [1]), gaussianStats([0, 0], [1, 0, 0, 1]))).toThrow(/dimensions differ/);
  });
});
