/**
 * Eigenvalues and eigenvectors of a symmetric tridiagonal matrix by implicit
 * QR sweeps with the Wilkinson shift (converges globally, cubically in
 * practice). Cheap for the small blocks at the leaves of divide and conquer;
 * its `O(n^3)` rotations of full eigenvector rows are what divide and
 * conquer avoids for large matrices.
 */
import { NonConvergenceError } from './errors.js';
import { rotateRows } from './givens.js';

/**
 * Diagonalizes `T = tridiag(e, d, e)` in place: on return `d` holds the
 * eigenvalues (unsorted). Every rotation is applied to the rows of `zt`
 * (`n x n`, row `i` = eigenvector `i`), which should start as the identity.
 */
export function tridiagonalQR(
  d: Float64Array,
  e: Float64Array,
  zt: Float64Array,
  maxIter: number,
  shape: readonly number[],
  fn: string,
): void {
  const n = d.length;
  const eps = Number.EPSILON;
  let q = n - 1;
  let sweeps = 0;
  while (q > 0) {
    for (let i = 0; i < q; i++) {
      if (Math.abs(e[i]) <= eps * (Math.abs(d[i]) + Math.abs(d[i + 1])) || Math.abs(e[i]) < 1e-300) e[i] = 0;
    }
    while (q > 0 && e[q - 1] === 0) q--;
    if (q === 0) break;
    let p = q - 1;
    while (p > 0 && e[p - 1] !== 0) p--;
    if (++sweeps > maxIter) {
      throw new NonConvergenceError(
        fn,
        shape,
        maxIter,
        `tridiagonal QR left ${q - p + 1} values unconverged`,
      );
    }
    sweep(d, e, zt, n, p, q);
  }
}

/** One implicit QR sweep on the unreduced block `p..q`, shifted by the eigenvalue of the trailing 2x2 nearer its end. */
function sweep(d: Float64Array, e: Float64Array, zt: Float64Array, n: number, p: number, q: number): void {
  const g = (d[q - 1] - d[q]) / 2;
  const denom = g + (g >= 0 ? 1 : -1) * Math.hypot(g, e[q - 1]);
  const mu = denom === 0 ? d[q] : d[q] - (e[q - 1] * e[q - 1]) / denom;
  let x = d[p] - mu;
  let z = e[p];
  for (let k = p; k < q; k++) {
    const r = Math.hypot(x, z);
    const c = r === 0 ? 1 : x / r;
    const s = r === 0 ? 0 : z / r;
    if (k > p) e[k - 1] = r;
    const ak = d[k];
    const ak1 = d[k + 1];
    const bk = e[k];
    const cs2b = 2 * c * s * bk;
    d[k] = c * c * ak + cs2b + s * s * ak1;
    d[k + 1] = s * s * ak - cs2b + c * c * ak1;
    e[k] = c * s * (ak1 - ak) + (c * c - s * s) * bk;
    if (k < q - 1) {
      x = e[k];
      z = s * e[k + 1];
      e[k + 1] *= c;
    }
    rotateRows(zt, k, k + 1, n, c, s);
  }
}
