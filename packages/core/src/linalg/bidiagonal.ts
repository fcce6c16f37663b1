/**
 * The two halves of the Golub-Kahan-Reinsch SVD of a tall matrix:
 * Householder bidiagonalization `A = U_B B V_B^T`, then implicit-shift QR
 * sweeps on the bidiagonal `B` that drive its superdiagonal to zero.
 *
 * The orthogonal factors are kept transposed (`Ut`, `Vt`: one singular vector
 * per row) because every Givens rotation of the QR sweeps then combines two
 * contiguous rows instead of two strided columns.
 */
import { NonConvergenceError } from './errors.js';
import { rotateRows } from './givens.js';
import { makeReflector } from './householder.js';
import { transpose } from './matrix.js';
import { applyReflectors } from './wy.js';

export interface Bidiagonal {
  /** Diagonal of B (length n). */
  d: Float64Array;
  /** Superdiagonal of B (length n - 1): `e[i] = B[i, i+1]`. */
  e: Float64Array;
  /** `U_B^T`, `n x m`. */
  ut: Float64Array;
  /** `V_B^T`, `n x n`. */
  vt: Float64Array;
}

/**
 * Bidiagonalizes the `m x n` row-major `a` (`m >= n`, overwritten with the
 * reflectors). Step `j` needs two passes over the trailing rows: one for
 * `w = v^T A` of the left reflector, and one that applies it to a row and at
 * once the right reflector (computed from row `j` alone) to the same row,
 * while the row is in cache.
 */
export function bidiagonalize(a: Float64Array, m: number, n: number): Bidiagonal {
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(0, n - 1));
  const tauL = new Float64Array(n);
  const tauR = new Float64Array(n);
  const w = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    // Left reflector: zero column j below the diagonal.
    const left = makeReflector(a, j * n + j, m - j, n);
    tauL[j] = left.tau;
    d[j] = left.beta;
    const applyLeft = left.tau !== 0 && j + 1 < n;
    if (applyLeft) {
      a[j * n + j] = 1;
      w.fill(0, j + 1, n);
      for (let i = j; i < m; i++) {
        const vi = a[i * n + j];
        if (vi === 0) continue;
        const row = i * n;
        for (let c = j + 1; c < n; c++) w[c] += vi * a[row + c];
      }
      for (let c = j + 1; c < n; c++) a[j * n + c] -= left.tau * w[c];
    }
    a[j * n + j] = left.beta;
    if (j + 1 >= n) continue;
    // Right reflector from the updated row j: zero it beyond the superdiagonal.
    const uOff = j * n + j + 1;
    const len = n - j - 1;
    const right = makeReflector(a, uOff, len, 1);
    tauR[j] = right.tau;
    e[j] = right.beta;
    a[uOff] = 1;
    for (let i = j + 1; i < m; i++) {
      const row = i * n + j + 1;
      if (applyLeft) {
        const f = left.tau * a[i * n + j];
        if (f !== 0) for (let c = 0; c < len; c++) a[row + c] -= f * w[j + 1 + c];
      }
      if (right.tau !== 0) {
        let s = 0;
        for (let c = 0; c < len; c++) s += a[row + c] * a[uOff + c];
        s *= right.tau;
        if (s !== 0) for (let c = 0; c < len; c++) a[row + c] -= s * a[uOff + c];
      }
    }
    a[uOff] = right.beta;
  }
  // U_B = H_0 ... H_{n-1} [I; 0] and V_B = G_0 ... G_{n-3}, formed blockwise, then stored transposed.
  const u = new Float64Array(m * n);
  for (let i = 0; i < n; i++) u[i * n + i] = 1;
  applyReflectors(n, 0, m, (j, i) => a[i * n + j], tauL, u, n, true);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  applyReflectors(Math.max(0, n - 2), 1, n, (j, c) => a[j * n + c], tauR, v, n, true);
  return {
    d,
    e,
    ut: transpose({ rows: m, cols: n, data: u }).data,
    vt: transpose({ rows: n, cols: n, data: v }).data,
  };
}

/**
 * Diagonalizes `B` in place by implicit-shift QR sweeps (Golub and Kahan),
 * applying every left rotation to the rows of `ut` (length `m`) and every
 * right rotation to the rows of `vt`. On return `d` holds the (unsorted,
 * possibly negative) singular values and `e` is zero.
 *
 * An entry is negligible below `eps * ||B||`, a backward error the size of
 * rounding. A zero on the diagonal is chased out of its row or column by
 * rotations, splitting the problem. Each sweep takes the Wilkinson shift
 * from the trailing 2x2 of `B^T B`; `maxIter` bounds the number of sweeps.
 */
export function bidiagonalQR(
  bd: Bidiagonal,
  m: number,
  maxIter: number,
  shape: readonly number[],
  fn: string,
): void {
  const { d, e, ut, vt } = bd;
  const n = d.length;
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(d[i]));
  for (let i = 0; i < n - 1; i++) scale = Math.max(scale, Math.abs(e[i]));
  if (scale === 0) return;
  // Work on B / ||B|| so the squares in the shift can neither overflow nor underflow.
  for (let i = 0; i < n; i++) d[i] /= scale;
  for (let i = 0; i < n - 1; i++) e[i] /= scale;
  const thresh = Number.EPSILON;
  let q = n - 1;
  let sweeps = 0;
  while (q > 0) {
    for (let i = 0; i < q; i++) if (Math.abs(e[i]) <= thresh) e[i] = 0;
    for (let i = 0; i <= q; i++) if (Math.abs(d[i]) <= thresh) d[i] = 0;
    while (q > 0 && e[q - 1] === 0) q--;
    if (q === 0) break;
    let p = q - 1;
    while (p > 0 && e[p - 1] !== 0) p--;
    let zero = -1;
    for (let i = p; i <= q; i++) {
      if (d[i] === 0) {
        zero = i;
        break;
      }
    }
    if (zero >= 0 && zero < q) chaseRow(d, e, ut, m, zero, q);
    else if (zero === q) chaseColumn(d, e, vt, n, p, q);
    else {
      if (++sweeps > maxIter) {
        throw new NonConvergenceError(
          fn,
          shape,
          maxIter,
          `bidiagonal QR left ${q - p + 1} values unconverged`,
        );
      }
      qrSweep(d, e, ut, vt, m, n, p, q);
    }
  }
  for (let i = 0; i < n; i++) d[i] *= scale;
  e.fill(0);
}

/** `d[i] = 0`: rotations from the left between rows `j > i` and row `i` push `B[i, j]` off the end. */
function chaseRow(d: Float64Array, e: Float64Array, ut: Float64Array, m: number, i: number, q: number): void {
  let f = e[i];
  e[i] = 0;
  for (let j = i + 1; j <= q && f !== 0; j++) {
    const r = Math.hypot(d[j], f);
    const c = d[j] / r;
    const s = f / r;
    d[j] = r;
    if (j < q) {
      f = -s * e[j];
      e[j] *= c;
    }
    rotateRows(ut, j, i, m, c, s);
  }
}

/** `d[q] = 0`: rotations from the right between columns `j < q` and column `q` push `B[j, q]` up and out. */
function chaseColumn(
  d: Float64Array,
  e: Float64Array,
  vt: Float64Array,
  n: number,
  p: number,
  q: number,
): void {
  let f = e[q - 1];
  e[q - 1] = 0;
  for (let j = q - 1; j >= p && f !== 0; j--) {
    const r = Math.hypot(d[j], f);
    const c = d[j] / r;
    const s = f / r;
    d[j] = r;
    if (j > p) {
      f = -s * e[j - 1];
      e[j - 1] *= c;
    }
    rotateRows(vt, j, q, n, c, s);
  }
}

/** One implicit-shift QR sweep on the unreduced block `p..q`: a bulge chased from top to bottom. */
function qrSweep(
  d: Float64Array,
  e: Float64Array,
  ut: Float64Array,
  vt: Float64Array,
  m: number,
  n: number,
  p: number,
  q: number,
): void {
  const dm = d[q - 1];
  const em = e[q - 1];
  const el = q - 1 > p ? e[q - 2] : 0;
  const t11 = dm * dm + el * el;
  const t22 = d[q] * d[q] + em * em;
  const t12 = dm * em;
  const delta = (t11 - t22) / 2;
  const denom = delta + (delta >= 0 ? 1 : -1) * Math.hypot(delta, t12);
  const mu = denom === 0 ? t22 : t22 - (t12 * t12) / denom;
  let y = d[p] * d[p] - mu;
  let z = d[p] * e[p];
  for (let k = p; k < q; k++) {
    // Right rotation of columns k, k+1: zeroes z (the bulge above, or starts the chase).
    let r = Math.hypot(y, z);
    let c = r === 0 ? 1 : y / r;
    let s = r === 0 ? 0 : z / r;
    if (k > p) e[k - 1] = r;
    const dk = d[k];
    const ek = e[k];
    d[k] = c * dk + s * ek;
    e[k] = c * ek - s * dk;
    let bulge = s * d[k + 1];
    d[k + 1] *= c;
    rotateRows(vt, k, k + 1, n, c, s);
    // Left rotation of rows k, k+1: zeroes the bulge below the diagonal.
    r = Math.hypot(d[k], bulge);
    c = r === 0 ? 1 : d[k] / r;
    s = r === 0 ? 0 : bulge / r;
    d[k] = r;
    const ek2 = e[k];
    const dk1 = d[k + 1];
    e[k] = c * ek2 + s * dk1;
    d[k + 1] = c * dk1 - s * ek2;
    if (k < q - 1) {
      bulge = s * e[k + 1];
      e[k + 1] *= c;
      y = e[k];
      z = bulge;
    }
    rotateRows(ut, k, k + 1, m, c, s);
  }
}
