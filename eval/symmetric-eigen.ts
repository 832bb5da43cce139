/**
 * Eigendecomposition of a real symmetric matrix: Householder reduction to tridiagonal
 * form, then the implicit QL method (tred2/tql2, as in EISPACK and JAMA), in float64.
 * O(n³): instant at 128×128, seconds at Inception's 2048×2048.
 */

export interface SymmetricEigen {
  /** Eigenvalues, ascending. */
  readonly values: Float64Array;
  /** n×n row-major; column j is the unit eigenvector of values[j]. */
  readonly vectors: Float64Array;
}

export interface SymmetricEigenOptions {
  /** false: eigenvalues only, several times faster (`vectors` is then empty). Default true. */
  readonly vectors?: boolean;
}

/**
 * Eigenvalues and eigenvectors of the symmetric n×n row-major matrix `a` (only its
 * lower triangle is read; `a` is not modified).
 *
 * @example
 * const { values } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2); // [1, 3]
 */
export function symmetricEigen(a: ArrayLike<number>, n: number, { vectors = true }: SymmetricEigenOptions = {}): SymmetricEigen {
  if (a.length !== n * n) throw new RangeError(`symmetricEigen: expected ${n}×${n} = ${n * n} values, got ${a.length}`);
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) throw new RangeError('symmetricEigen: the matrix has a non-finite entry');
  // w holds the working matrix transposed (w[c·n + r] is entry (r, c)), so that every inner loop
  // of both phases walks memory contiguously; its rows end up being the eigenvectors.
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) w[i * n + j] = w[j * n + i] = a[i * n + j]!;
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return { values: d, vectors: new Float64Array(0) };
  tridiagonalize(w, d, e, n, vectors);
  diagonalize(vectors ? w : undefined, d, e, n);
  sortAscending(vectors ? w : undefined, d, n);
  return { values: d, vectors: vectors ? transpose(w, n) : new Float64Array(0) };
}

function transpose(m: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[j * n + i] = m[i * n + j]!;
  return out;
}

/**
 * Householder tridiagonalization (tred2) of the transposed working matrix w: d and e become the
 * diagonal and sub-diagonal, and, with `accumulate`, w's rows the orthogonal transform's columns.
 */
function tridiagonalize(w: Float64Array, d: Float64Array, e: Float64Array, n: number, accumulate: boolean): void {
  for (let j = 0; j < n; j++) d[j] = w[j * n + n - 1]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = w[j * n + i - 1]!;
        w[j * n + i] = 0;
        w[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        w[i * n + j] = f;
        const row = j * n;
        g = e[j]! + w[row + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += w[row + k]! * d[k]!;
          e[k] = e[k]! + w[row + k]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        const row = j * n;
        for (let k = j; k <= i - 1; k++) w[row + k] = w[row + k]! - (f * e[k]! + g * d[k]!);
        d[j] = w[row + i - 1]!;
        w[row + i] = 0;
      }
    }
    d[i] = h;
  }
  e[0] = 0;
  if (!accumulate) {
    // The reduction leaves the tridiagonal form's diagonal on w's diagonal.
    for (let j = 0; j < n; j++) d[j] = w[j * n + j]!;
    return;
  }
  accumulateTransform(w, d, n);
}

/** The second half of tred2: turns the Householder vectors left in w into the transform itself. */
function accumulateTransform(w: Float64Array, d: Float64Array, n: number): void {
  for (let i = 0; i < n - 1; i++) {
    w[i * n + n - 1] = w[i * n + i]!;
    w[i * n + i] = 1;
    const h = d[i + 1]!;
    const next = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = w[next + k]! / h;
      for (let j = 0; j <= i; j++) {
        const row = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += w[next + k]! * w[row + k]!;
        for (let k = 0; k <= i; k++) w[row + k] = w[row + k]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) w[next + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = w[j * n + n - 1]!;
    w[j * n + n - 1] = 0;
  }
  w[(n - 1) * n + n - 1] = 1;
}

/** Implicit QL on the tridiagonal form (tql2); vt, when given, holds the eigenvectors as rows. */
function diagonalize(vt: Float64Array | undefined, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]!) > eps * tst1) m++;
    if (m > l) {
      let iterations = 0;
      do {
        // Convergence is cubic; this only trips on input the finiteness check let through.
        if (++iterations > 100) throw new Error('symmetricEigen: the QL iteration did not converge');
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          if (!vt) continue;
          const rowI = i * n;
          const rowNext = (i + 1) * n;
          for (let k = 0; k < n; k++) {
            const next = vt[rowNext + k]!;
            const current = vt[rowI + k]!;
            vt[rowNext + k] = s * current + c * next;
            vt[rowI + k] = c * current - s * next;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}

function sortAscending(vt: Float64Array | undefined, d: Float64Array, n: number): void {
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = d[i]!;
    for (let j = i + 1; j < n; j++) {
      if (d[j]! < p) {
        k = j;
        p = d[j]!;
      }
    }
    if (k !== i) {
      d[k] = d[i]!;
      d[i] = p;
      for (let j = 0; vt && j < n; j++) {
        const t = vt[i * n + j]!;
        vt[i * n + j] = vt[k * n + j]!;
        vt[k * n + j] = t;
      }
    }
  }
}
