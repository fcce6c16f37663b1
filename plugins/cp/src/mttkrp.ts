/**
 * The matricized-tensor times Khatri-Rao products `M_n = X_(n) KR(A_m, m != n)` of one
 * ALS sweep, by a two-level dimension tree so that no Khatri-Rao product over mode 0
 * is ever formed (for a 256x256x3x3 kernel, `KR(A, B, D)` alone would be 12.6M x R):
 *
 * - mode 0: `M_0 = X_(0) KR(A_1..A_{N-1})`, one blocked product (the KR of the other
 *   modes is `P x R`, `P = prod_{m>0} I_m`, no larger than `Y` below);
 * - then `Y = A_0^T X_(0)` (`R x P`), one blocked product, contracts mode 0 once for
 *   every later mode: `M_n[i, r] = sum Y[r, p] prod_{m>0, m != n} A_m[i_m, r]` over the
 *   multi-indices `p` of modes 1..N-1 with `i_n = i`, `O(R P)` each.
 *
 * A sweep thus costs two `I_0 x P x R` products, whatever the order of the tensor.
 */
import { linalg } from '@lowrank/core';
import { khatriRaoOf } from './cp-model.js';

/** `X_(0) KR(A_1..A_{N-1})`: `I_0 x R`. */
export function mttkrpFirst(x: linalg.NdArray, rest: readonly linalg.Matrix[], rank: number): linalg.Matrix {
  const rows = x.shape[0];
  const kr = khatriRaoOf(rest, rank);
  const out = new Float64Array(rows * rank);
  linalg.gemm(rows, rank, kr.rows, 1, x.data, 0, kr.rows, kr.data, 0, rank, 0, out, 0, rank);
  return { rows, cols: rank, data: out };
}

/** `Y = A_0^T X_(0)`: `R x P`, mode 0 contracted against each column of `A_0`. */
export function contractFirst(x: linalg.NdArray, first: linalg.Matrix): linalg.Matrix {
  const rows = x.shape[0];
  const p = x.data.length / Math.max(rows, 1);
  const r = first.cols;
  const firstT = linalg.transpose(first);
  const out = new Float64Array(r * p);
  linalg.gemm(r, p, rows, 1, firstT.data, 0, rows, x.data, 0, p, 0, out, 0, p);
  return { rows: r, cols: p, data: out };
}

/**
 * `M_n` for a mode `n >= 1` from `Y = A_0^T X_(0)`; `rest` are the factors of modes
 * 1..N-1 (the entry of mode `n` is only read for its size). Per column `r`, `Y[r]` is
 * viewed as `(L, I_n, T)` with `L` the product of the sizes of modes 1..n-1 and `T` of
 * the modes after `n`, and contracted with the Kronecker columns of both sides.
 */
export function mttkrpRest(y: linalg.Matrix, rest: readonly linalg.Matrix[], n: number): linalg.Matrix {
  const k = n - 1;
  const rank = y.rows;
  const size = rest[k].rows;
  const before = rest.slice(0, k);
  const after = rest.slice(k + 1);
  const lenL = before.reduce((s, f) => s * f.rows, 1);
  const lenT = after.reduce((s, f) => s * f.rows, 1);
  const out = new Float64Array(size * rank);
  const left = new Float64Array(lenL);
  const right = new Float64Array(lenT);
  for (let r = 0; r < rank; r++) {
    kronColumn(before, r, rank, left);
    kronColumn(after, r, rank, right);
    const base = r * y.cols;
    for (let l = 0; l < lenL; l++) {
      const wl = left[l];
      if (wl === 0) continue;
      for (let i = 0; i < size; i++) {
        const off = base + (l * size + i) * lenT;
        let s = 0;
        for (let t = 0; t < lenT; t++) s += y.data[off + t] * right[t];
        out[i * rank + r] += wl * s;
      }
    }
  }
  return { rows: size, cols: rank, data: out };
}

/** Column `r` of `KR(factors)` into `out` (length `prod I_m`; `[1]` for no factors). */
function kronColumn(factors: readonly linalg.Matrix[], r: number, rank: number, out: Float64Array): void {
  out[0] = 1;
  let len = 1;
  for (const f of factors) {
    // Expand in place from the back so that entries are read before they are overwritten.
    for (let p = len - 1; p >= 0; p--) {
      const v = out[p];
      for (let i = f.rows - 1; i >= 0; i--) out[p * f.rows + i] = v * f.data[i * rank + r];
    }
    len *= f.rows;
  }
}
