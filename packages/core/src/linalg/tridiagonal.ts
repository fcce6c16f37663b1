/**
 * Householder tridiagonalization of a symmetric matrix, `A = Q T Q^T`, and
 * the back-transformation `X = Q Z` of the tridiagonal eigenvectors.
 *
 * Only the lower triangle is read and updated. Step `k` needs
 * `p = A22 v_k` (a symmetric matrix-vector product) and then the rank-2
 * update `A22 -= v w^T + w v^T`; both are one pass over the trailing
 * triangle, and in JavaScript that pass is bound by loads and stores, not by
 * arithmetic. So the update of step `k-1` and the product of step `k` share a
 * single pass (the column that defines `v_k` is updated first, on its own),
 * four rows at a time so each loaded vector entry serves four rows.
 */
import { makeReflector } from './householder.js';
import { applyReflectors } from './wy.js';

export interface Tridiagonal {
  /** Diagonal of T (length n). */
  d: Float64Array;
  /** Subdiagonal of T (length n - 1). */
  e: Float64Array;
  /** The reflectors: `v_k` (acting on indices k+1..n-1, unit first entry) below the subdiagonal of column k. */
  a: Float64Array;
  tau: Float64Array;
  n: number;
}

/** Tridiagonalizes the symmetric `n x n` row-major `a` (lower triangle read; overwritten). */
export function tridiagonalize(a: Float64Array, n: number): Tridiagonal {
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(0, n - 1));
  const tau = new Float64Array(n);
  // The previous step's update is `A22 -= vp wp^T + wp vp^T` (zero before the first step).
  let vp = new Float64Array(n);
  let wp = new Float64Array(n);
  let vc = new Float64Array(n);
  let pc = new Float64Array(n);
  for (let k = 0; k + 2 < n; k++) {
    for (let i = k; i < n; i++) a[i * n + k] -= vp[i] * wp[k] + wp[i] * vp[k];
    d[k] = a[k * n + k];
    const refl = makeReflector(a, (k + 1) * n + k, n - k - 1, n);
    e[k] = refl.beta;
    tau[k] = refl.tau;
    vc.fill(0, 0, k + 1);
    vc[k + 1] = 1;
    for (let i = k + 2; i < n; i++) vc[i] = a[i * n + k];
    pc.fill(0);
    updateAndMultiply(a, n, k + 1, vp, wp, vc, pc);
    if (refl.tau === 0) {
      vc.fill(0);
      pc.fill(0);
    } else {
      // w = tau p - (tau^2 / 2)(v^T p) v makes the two-sided reflection a symmetric rank-2 update.
      let vtp = 0;
      for (let i = k + 1; i < n; i++) vtp += vc[i] * pc[i];
      const alpha = -0.5 * refl.tau * refl.tau * vtp;
      for (let i = k + 1; i < n; i++) pc[i] = refl.tau * pc[i] + alpha * vc[i];
    }
    [vp, vc] = [vc, vp];
    [wp, pc] = [pc, wp];
  }
  // The last step's update touches only the trailing 2x2 (or nothing for n < 3).
  for (let i = Math.max(0, n - 2); i < n; i++) {
    for (let j = Math.max(0, n - 2); j <= i; j++) a[i * n + j] -= vp[i] * wp[j] + wp[i] * vp[j];
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + n - 2];
    e[n - 2] = a[(n - 1) * n + n - 2];
  }
  d[n - 1] = a[n * n - 1];
  return { d, e, a, tau, n };
}

/**
 * One pass over the lower triangle of rows/columns `[k0, n)`: applies
 * `A -= vp wp^T + wp vp^T` and accumulates `p += A v` with the updated values.
 */
function updateAndMultiply(
  a: Float64Array,
  n: number,
  k0: number,
  vp: Float64Array,
  wp: Float64Array,
  v: Float64Array,
  p: Float64Array,
): void {
  let i = k0;
  for (; i + 4 <= n; i += 4) {
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    const vp0 = vp[i],
      vp1 = vp[i + 1],
      vp2 = vp[i + 2],
      vp3 = vp[i + 3];
    const wp0 = wp[i],
      wp1 = wp[i + 1],
      wp2 = wp[i + 2],
      wp3 = wp[i + 3];
    const v0 = v[i],
      v1 = v[i + 1],
      v2 = v[i + 2],
      v3 = v[i + 3];
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0;
    for (let j = k0; j < i; j++) {
      const vj = vp[j];
      const wj = wp[j];
      const uj = v[j];
      const a0 = a[r0 + j] - (vp0 * wj + wp0 * vj);
      const a1 = a[r1 + j] - (vp1 * wj + wp1 * vj);
      const a2 = a[r2 + j] - (vp2 * wj + wp2 * vj);
      const a3 = a[r3 + j] - (vp3 * wj + wp3 * vj);
      a[r0 + j] = a0;
      a[r1 + j] = a1;
      a[r2 + j] = a2;
      a[r3 + j] = a3;
      s0 += a0 * uj;
      s1 += a1 * uj;
      s2 += a2 * uj;
      s3 += a3 * uj;
      p[j] += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3;
    }
    p[i] += s0;
    p[i + 1] += s1;
    p[i + 2] += s2;
    p[i + 3] += s3;
    // The 4x4 diagonal block's lower triangle.
    for (let r = i; r < i + 4; r++) updateRow(a, n, r, i, vp, wp, v, p);
  }
  for (; i < n; i++) updateRow(a, n, i, k0, vp, wp, v, p);
}

/** Row `r`, columns `[j0, r]`: the same update and product for one row. */
function updateRow(
  a: Float64Array,
  n: number,
  r: number,
  j0: number,
  vp: Float64Array,
  wp: Float64Array,
  v: Float64Array,
  p: Float64Array,
): void {
  const ro = r * n;
  const vpr = vp[r];
  const wpr = wp[r];
  const vr = v[r];
  let s = 0;
  for (let j = j0; j < r; j++) {
    const x = a[ro + j] - (vpr * wp[j] + wpr * vp[j]);
    a[ro + j] = x;
    s += x * v[j];
    p[j] += x * vr;
  }
  const x = a[ro + r] - 2 * vpr * wpr;
  a[ro + r] = x;
  p[r] += s + x * vr;
}

/** Overwrites the `n x nc` row-major `z` with `Q z`. */
export function applyQ(t: Tridiagonal, z: Float64Array, nc: number): void {
  const { a, tau, n } = t;
  applyReflectors(Math.max(0, n - 2), 1, n, (k, i) => a[i * n + k], tau, z, nc, false, 64);
}
