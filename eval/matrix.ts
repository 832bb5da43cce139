/** Dense row-major float64 matrix helpers for the metric math (n×n, small n). */

/** a·b for n×n row-major matrices. */
export function multiply(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  // i-k-j order walks b and out row by row.
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[row + k]!;
      if (aik === 0) continue;
      const bRow = k * n;
      for (let j = 0; j < n; j++) out[row + j]! += aik * b[bRow + j]!;
    }
  }
  return out;
}

/** (a + aᵀ)/2 in place: removes the asymmetry round-off leaves in products meant to be symmetric. */
export function symmetrize(a: Float64Array, n: number): Float64Array {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const mean = (a[i * n + j]! + a[j * n + i]!) / 2;
      a[i * n + j] = mean;
      a[j * n + i] = mean;
    }
  }
  return a;
}

export function trace(a: Float64Array, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += a[i * n + i]!;
  return sum;
}
