/**
 * Compact WY form of a block of Householder reflectors (Schreiber and Van
 * Loan): `H_1 H_2 ... H_jb = I - V T V^T` with `T` upper triangular. Applying
 * a block is two matrix products instead of `jb` rank-1 updates, so the big
 * operand is streamed once per block rather than once per reflector.
 */
import { gemm } from './gemm.js';

export interface WYBlock {
  /** Number of reflectors. */
  jb: number;
  /** Length of the reflector vectors. */
  mm: number;
  /** `V^T`, `jb x mm`: row c is `v_c`, with a unit entry at c and zeros before it. */
  vt: Float64Array;
  /** `V`, `mm x jb`. */
  v: Float64Array;
  /** `T`, `jb x jb`, upper triangular. */
  t: Float64Array;
}

/** Builds the block from `vt` (rows already in the unit-lower form above) and the reflectors' `tau`. */
export function wyBlock(vt: Float64Array, mm: number, jb: number, tau: Float64Array): WYBlock {
  const v = new Float64Array(mm * jb);
  for (let c = 0; c < jb; c++) for (let i = c; i < mm; i++) v[i * jb + c] = vt[c * mm + i];
  const t = new Float64Array(jb * jb);
  const w = new Float64Array(jb);
  for (let c = 0; c < jb; c++) {
    t[c * jb + c] = tau[c];
    if (tau[c] === 0) continue;
    // T[0:c, c] = -tau_c T[0:c, 0:c] (V[:, 0:c]^T v_c)
    for (let s = 0; s < c; s++) {
      let d = 0;
      for (let i = c; i < mm; i++) d += vt[s * mm + i] * vt[c * mm + i];
      w[s] = d;
    }
    for (let r = 0; r < c; r++) {
      let d = 0;
      for (let s = r; s < c; s++) d += t[r * jb + s] * w[s];
      t[r * jb + c] = -tau[c] * d;
    }
  }
  return { jb, mm, vt, v, t };
}

/**
 * Overwrites the `mm x nc` block of `c` at `off` (leading dimension `ldc`)
 * with `(I - V T V^T) C`, or with `(I - V T^T V^T) C` (the transpose of the
 * block, `H_jb ... H_1`) when `transpose`.
 */
export function applyWY(
  block: WYBlock,
  c: Float64Array,
  off: number,
  ldc: number,
  nc: number,
  transpose: boolean,
): void {
  const { jb, mm, vt, v, t } = block;
  const y = new Float64Array(jb * nc);
  gemm(jb, nc, mm, 1, vt, 0, mm, c, off, ldc, 0, y, 0, nc);
  if (transpose) {
    // y <- T^T y, bottom row first so the rows still needed are unchanged.
    for (let r = jb - 1; r >= 0; r--) {
      const yr = r * nc;
      const trr = t[r * jb + r];
      for (let j = 0; j < nc; j++) y[yr + j] *= trr;
      for (let s = 0; s < r; s++) {
        const tsr = t[s * jb + r];
        if (tsr === 0) continue;
        const ys = s * nc;
        for (let j = 0; j < nc; j++) y[yr + j] += tsr * y[ys + j];
      }
    }
  } else {
    // y <- T y, top row first.
    for (let r = 0; r < jb; r++) {
      const yr = r * nc;
      const trr = t[r * jb + r];
      for (let j = 0; j < nc; j++) y[yr + j] *= trr;
      for (let s = r + 1; s < jb; s++) {
        const trs = t[r * jb + s];
        if (trs === 0) continue;
        const ys = s * nc;
        for (let j = 0; j < nc; j++) y[yr + j] += trs * y[ys + j];
      }
    }
  }
  gemm(mm, nc, jb, -1, v, 0, jb, y, 0, nc, 1, c, off, ldc);
}

/**
 * `C <- H_0 H_1 ... H_{count-1} C` for reflectors stored in a factorized
 * matrix: `H_c = I - tau_c v_c v_c^T` acts on rows `offset + c .. rows-1` of
 * the row-major `rows x nc` matrix `C`, with `v_c` one at `offset + c` and
 * `vec(c, i)` beyond it. Blocks of `nb` reflectors are applied last block
 * first. When `C` starts as the identity (the explicit `Q`), columns before a
 * block's first row are still identity columns it cannot touch, so they are
 * skipped.
 */
export function applyReflectors(
  count: number,
  offset: number,
  rows: number,
  vec: (c: number, i: number) => number,
  tau: Float64Array,
  c: Float64Array,
  nc: number,
  fromIdentity: boolean,
  nb = 32,
): void {
  for (let k0 = Math.floor((count - 1) / nb) * nb; k0 >= 0; k0 -= nb) {
    const jb = Math.min(nb, count - k0);
    const first = offset + k0;
    const mm = rows - first;
    const vt = new Float64Array(jb * mm);
    for (let r = 0; r < jb; r++) {
      vt[r * mm + r] = 1;
      for (let i = first + r + 1; i < rows; i++) vt[r * mm + (i - first)] = vec(k0 + r, i);
    }
    const col = fromIdentity ? first : 0;
    applyWY(wyBlock(vt, mm, jb, tau.subarray(k0, k0 + jb)), c, first * nc + col, nc, nc - col, false);
  }
}
