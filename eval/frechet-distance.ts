/** The Fréchet distance between two Gaussians fitted to feature sets: FID's formula. */
import type { GaussianStats } from './feature-stats.ts';
import { trace } from './matrix.ts';
import { traceSqrtPsd } from './matrix-sqrt.ts';
import { pivotedCholesky } from './pivoted-cholesky.ts';

/**
 * d² = |μ₁ − μ₂|² + Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½). With Σ₁ = L·Lᵀ (pivoted Cholesky, L n×r),
 * Σ₁Σ₂ has the nonzero eigenvalues of Lᵀ·Σ₂·L, an r×r symmetric PSD matrix, so
 * Tr((Σ₁Σ₂)^½) is the sum of the square roots of its eigenvalues: no general sqrtm with its
 * complex round-off, and about a quarter of the work of taking √Σ₁ by eigendecomposition.
 *
 * @example
 * frechetDistance(stats, stats); // 0 (up to round-off)
 */
export function frechetDistance(a: GaussianStats, b: GaussianStats): number {
  if (a.dim !== b.dim) throw new RangeError(`frechetDistance: feature dimensions differ (${a.dim} vs ${b.dim})`);
  const n = a.dim;
  let meanTerm = 0;
  for (let i = 0; i < n; i++) {
    const diff = a.mean[i]! - b.mean[i]!;
    meanTerm += diff * diff;
  }
  const columns = pivotedCholesky(a.cov, n);
  const r = columns.length;
  // Σ₂·L, column by column: each a matrix-vector product over Σ₂'s contiguous rows.
  const products = columns.map((column) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const row = i * n;
      let sum = 0;
      for (let j = 0; j < n; j++) sum += b.cov[row + j]! * column[j]!;
      out[i] = sum;
    }
    return out;
  });
  // Lᵀ·Σ₂·L, upper triangle computed, mirrored below.
  const middle = new Float64Array(r * r);
  for (let k = 0; k < r; k++) {
    const left = columns[k]!;
    for (let l = k; l < r; l++) {
      const right = products[l]!;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += left[i]! * right[i]!;
      middle[k * r + l] = sum;
      middle[l * r + k] = sum;
    }
  }
  const cross = r === 0 ? 0 : traceSqrtPsd(middle, r);
  return meanTerm + trace(a.cov, n) + trace(b.cov, n) - 2 * cross;
}
