/**
 * Thin Householder QR, blocked: `A = Q R` with `Q` (`m x k`, orthonormal
 * columns) and `R` (`k x n`, upper triangular/trapezoidal), `k = min(m, n)`.
 *
 * Columns are factored in panels of `NB`; a panel's reflectors are gathered
 * into compact WY form, so the trailing matrix and the formation of `Q` are
 * updated by matrix products instead of one reflector at a time.
 */
import { makeReflector } from './householder.js';
import type { Matrix } from './matrix.js';
import { checkFactorInput } from './validate.js';
import { applyWY, type WYBlock, wyBlock } from './wy.js';

const NB = 32;

export interface QR {
  Q: Matrix;
  R: Matrix;
}

export function qr(a: Matrix): QR {
  checkFactorInput('qr', a);
  const { rows: m, cols: n } = a;
  const k = Math.min(m, n);
  const w = a.data.slice();
  const panels: WYBlock[] = [];
  for (let j0 = 0; j0 < k; j0 += NB) {
    const panel = factorPanel(w, m, n, j0, Math.min(NB, k - j0));
    panels.push(panel);
    const nc = n - (j0 + panel.jb);
    if (nc > 0) applyWY(panel, w, j0 * n + j0 + panel.jb, n, nc, true);
  }
  const R = new Float64Array(k * n);
  for (let i = 0; i < k; i++) R.set(w.subarray(i * n + i, (i + 1) * n), i * n + i);
  const Q = new Float64Array(m * k);
  for (let i = 0; i < k; i++) Q[i * k + i] = 1;
  for (let p = panels.length - 1; p >= 0; p--) {
    const j0 = p * NB;
    applyWY(panels[p], Q, j0 * k + j0, k, k - j0, false);
  }
  return { Q: { rows: m, cols: k, data: Q }, R: { rows: k, cols: n, data: R } };
}

/**
 * Factors columns `[j0, j0 + jb)` below row `j0` (unblocked, on a
 * column-major copy so every reflector works on contiguous memory), writes
 * `R`'s entries back into `w` and returns the panel in WY form.
 */
function factorPanel(w: Float64Array, m: number, n: number, j0: number, jb: number): WYBlock {
  const mm = m - j0;
  const vt = new Float64Array(jb * mm);
  for (let i = 0; i < mm; i++) {
    const row = (j0 + i) * n + j0;
    for (let c = 0; c < jb; c++) vt[c * mm + i] = w[row + c];
  }
  const tau = new Float64Array(jb);
  for (let c = 0; c < jb; c++) {
    const vc = c * mm;
    const { tau: tc } = makeReflector(vt, vc + c, mm - c, 1);
    tau[c] = tc;
    if (tc === 0) continue;
    const beta = vt[vc + c];
    vt[vc + c] = 1;
    for (let d = c + 1; d < jb; d++) {
      const vd = d * mm;
      let s = 0;
      for (let i = c; i < mm; i++) s += vt[vc + i] * vt[vd + i];
      s *= tc;
      for (let i = c; i < mm; i++) vt[vd + i] -= s * vt[vc + i];
    }
    vt[vc + c] = beta;
  }
  // R's part of the panel goes back into w; vt becomes V^T proper (unit diagonal, zeros above).
  for (let c = 0; c < jb; c++) {
    for (let i = 0; i <= c; i++) w[(j0 + i) * n + j0 + c] = vt[c * mm + i];
    vt.fill(0, c * mm, c * mm + c);
    vt[c * mm + c] = 1;
  }
  return wyBlock(vt, mm, jb, tau);
}
