/**
 * Pivoted Cholesky factorisation of a symmetric positive semi-definite matrix: A ≈ L·Lᵀ
 * with L of size n×r, r the numerical rank. Works where plain Cholesky fails, on the
 * singular covariances of fewer samples than dimensions.
 */

/**
 * The columns of L (each a length-n vector), largest remaining diagonal first, stopping when
 * what is left of the diagonal is round-off: at most n·ε times the largest diagonal entry,
 * LAPACK dpstrf's default tolerance. Reads the full row-major matrix `a`; leaves it untouched.
 *
 * @example
 * pivotedCholesky(Float64Array.of(4, 2, 2, 2), 2); // [[2, 1], [0, 1]] as columns
 */
export function pivotedCholesky(a: ArrayLike<number>, n: number): Float64Array[] {
  const remaining = new Float64Array(n);
  let largest = 0;
  for (let i = 0; i < n; i++) {
    remaining[i] = a[i * n + i]!;
    if (!Number.isFinite(remaining[i]!)) throw new RangeError('pivotedCholesky: non-finite diagonal entry');
    largest = Math.max(largest, remaining[i]!);
  }
  const tolerance = n * 2 ** -52 * largest;
  const done = new Uint8Array(n);
  const columns: Float64Array[] = [];
  for (let k = 0; k < n; k++) {
    let pivot = -1;
    for (let i = 0; i < n; i++) if (!done[i] && (pivot === -1 || remaining[i]! > remaining[pivot]!)) pivot = i;
    if (pivot === -1 || !(remaining[pivot]! > tolerance)) break;
    done[pivot] = 1;
    const root = Math.sqrt(remaining[pivot]!);
    // Column k: (A[:, p] − Σⱼ Lⱼ·Lⱼ[p]) / √d_p, zero on rows already pivoted.
    const column = new Float64Array(n);
    const row = pivot * n; // A is symmetric: its row p is its column p, read contiguously.
    for (let i = 0; i < n; i++) if (!done[i]) column[i] = a[row + i]!;
    for (const previous of columns) {
      const weight = previous[pivot]!;
      if (weight === 0) continue;
      for (let i = 0; i < n; i++) column[i]! -= weight * previous[i]!;
    }
    for (let i = 0; i < n; i++) {
      if (done[i]) {
        column[i] = 0;
      } else {
        column[i]! /= root;
        remaining[i]! -= column[i]! * column[i]!;
      }
    }
    column[pivot] = root;
    columns.push(column);
  }
  return columns;
}
