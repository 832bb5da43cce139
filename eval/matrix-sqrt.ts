/** Square roots of symmetric positive semi-definite matrices, through their eigendecomposition. */
import { symmetricEigen } from './symmetric-eigen.ts';

/**
 * Eigenvalues of a PSD matrix that round-off pushed below zero are read as 0; a clearly
 * negative one (beyond this fraction of the largest magnitude) means the input is not PSD.
 */
const NEGATIVE_TOLERANCE = 1e-8;

function rootsOf(values: Float64Array, what: string): Float64Array {
  let largest = 0;
  for (const value of values) largest = Math.max(largest, Math.abs(value));
  // Eigenvalues within round-off of zero (n·ε of the largest) are zero: their noise, ~1e-16 of the
  // largest, would otherwise come back as a root ~1e-8 of it and add up over a singular matrix's null space.
  const zero = values.length * 2 ** -52 * largest;
  const roots = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value < -NEGATIVE_TOLERANCE * largest) throw new RangeError(`${what}: the matrix is not positive semi-definite (eigenvalue ${value})`);
    roots[i] = value > zero ? Math.sqrt(value) : 0;
  }
  return roots;
}

/**
 * The symmetric PSD square root R of a symmetric PSD n×n matrix A (R·R = A), row-major float64.
 *
 * @example
 * sqrtPsd(Float64Array.of(5, 4, 4, 5), 2); // [2, 1, 1, 2]
 */
export function sqrtPsd(a: ArrayLike<number>, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(a, n);
  const roots = rootsOf(values, 'sqrtPsd');
  // R = V·diag(√λ)·Vᵀ = Σₖ √λₖ vₖvₖᵀ, over the upper triangle, each vₖ made contiguous first.
  const out = new Float64Array(n * n);
  const v = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const root = roots[k]!;
    if (root === 0) continue;
    for (let i = 0; i < n; i++) v[i] = vectors[i * n + k]!;
    for (let i = 0; i < n; i++) {
      const vik = v[i]! * root;
      if (vik === 0) continue;
      const row = i * n;
      for (let j = i; j < n; j++) out[row + j]! += vik * v[j]!;
    }
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out[j * n + i] = out[i * n + j]!;
  return out;
}

/** tr(√A) = Σ √λᵢ for a symmetric PSD matrix A (eigenvalues only: no eigenvectors are formed). */
export function traceSqrtPsd(a: ArrayLike<number>, n: number): number {
  const roots = rootsOf(symmetricEigen(a, n, { vectors: false }).values, 'traceSqrtPsd');
  let sum = 0;
  for (const root of roots) sum += root;
  return sum;
}
