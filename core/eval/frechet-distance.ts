/** The Fréchet distance between two Gaussians fitted to feature sets: FID's formula. */
import type { GaussianStats } from './feature-stats.ts';
import { multiply, symmetrize, trace } from './matrix.ts';
import { sqrtPsd, traceSqrtPsd } from './matrix-sqrt.ts';

/**
 * d² = |μ₁ − μ₂|² + Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½), with Tr((Σ₁Σ₂)^½) taken as Tr((√Σ₁ Σ₂ √Σ₁)^½):
 * the same eigenvalues, but a symmetric PSD matrix, so no complex round-off as with a general sqrtm.
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
  const rootA = sqrtPsd(a.cov, n);
  const middle = symmetrize(multiply(multiply(rootA, b.cov, n), rootA, n), n);
  return meanTerm + trace(a.cov, n) + trace(b.cov, n) - 2 * traceSqrtPsd(middle, n);
}
