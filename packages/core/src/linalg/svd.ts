/**
 * Economy SVD `A = U diag(s) V^T`: `U` is `m x k`, `V` is `n x k`,
 * `k = min(m, n)`, both with orthonormal columns; `s` is non-negative and
 * sorted in decreasing order.
 *
 * Route: a wide matrix is handled through its transpose; a clearly tall one
 * is first reduced by QR (`A = Q R`), so the expensive part works on the
 * small square `R` and `U = Q U_R` is one blocked product; the square or
 * nearly square core goes through Golub-Kahan-Reinsch (bidiagonalization
 * plus implicit-shift QR sweeps).
 *
 * Sign convention: singular vectors are defined up to a joint sign flip of
 * `u_i` and `v_i`. We fix it so that the entry of largest magnitude of each
 * left singular vector `u_i` is positive (the first such entry on a tie;
 * signs.ts). The result is then a deterministic function of `A`.
 */
import { bidiagonalize, bidiagonalQR } from './bidiagonal.js';
import { gemm } from './gemm.js';
import { type Matrix, transpose } from './matrix.js';
import { qr } from './qr.js';
import { flipColumns, largestEntrySigns } from './signs.js';
import { checkFactorInput } from './validate.js';

export interface SVD {
  U: Matrix;
  /** Singular values, non-negative, in decreasing order. */
  s: Float64Array;
  V: Matrix;
}

export interface SvdOptions {
  /** Bound on the implicit QR sweeps (default `30 * min(m, n)`); exceeding it throws `NonConvergenceError`. */
  maxIter?: number;
}

/** Above this aspect ratio a tall matrix is reduced by QR before the bidiagonal SVD. */
const QR_FIRST_RATIO = 1.5;

export function svd(a: Matrix, opts: SvdOptions = {}): SVD {
  checkFactorInput('svd', a);
  const shape = [a.rows, a.cols];
  const wide = a.rows < a.cols;
  const tall = wide ? transpose(a) : a;
  const { U, s, V } = svdTall(tall, opts.maxIter, shape);
  const out = wide ? { U: V, s, V: U } : { U, s, V };
  const sign = largestEntrySigns(out.U);
  flipColumns(out.U, sign);
  flipColumns(out.V, sign);
  return out;
}

/** SVD of a tall or square matrix (`m >= n`), before the sign convention. */
function svdTall(a: Matrix, maxIter: number | undefined, shape: readonly number[]): SVD {
  const { rows: m, cols: n } = a;
  const iters = maxIter ?? 30 * n;
  if (m >= QR_FIRST_RATIO * n && n > 1) {
    const { Q, R } = qr(a);
    const core = svdCore(R.data.slice(), n, n, iters, shape);
    // U = Q U_R, with U_R^T available row-major: U = Q (U_R^T)^T.
    const ur = transpose({ rows: n, cols: n, data: core.ut });
    const U = new Float64Array(m * n);
    gemm(m, n, n, 1, Q.data, 0, n, ur.data, 0, n, 0, U, 0, n);
    return { U: { rows: m, cols: n, data: U }, s: core.s, V: transpose({ rows: n, cols: n, data: core.vt }) };
  }
  const core = svdCore(a.data.slice(), m, n, iters, shape);
  return {
    U: transpose({ rows: n, cols: m, data: core.ut }),
    s: core.s,
    V: transpose({ rows: n, cols: n, data: core.vt }),
  };
}

/** Golub-Kahan-Reinsch on a tall `m x n` buffer: sorted singular values with `U^T` and `V^T` row-major. */
function svdCore(
  w: Float64Array,
  m: number,
  n: number,
  maxIter: number,
  shape: readonly number[],
): { s: Float64Array; ut: Float64Array; vt: Float64Array } {
  const bd = bidiagonalize(w, m, n);
  bidiagonalQR(bd, m, maxIter, shape, 'svd');
  const { d, ut, vt } = bd;
  for (let i = 0; i < n; i++) {
    if (d[i] < 0) {
      d[i] = -d[i];
      for (let j = i * n; j < (i + 1) * n; j++) vt[j] = -vt[j];
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y] - d[x]);
  const s = new Float64Array(n);
  const uts = new Float64Array(n * m);
  const vts = new Float64Array(n * n);
  order.forEach((src, dst) => {
    s[dst] = d[src];
    uts.set(ut.subarray(src * m, (src + 1) * m), dst * m);
    vts.set(vt.subarray(src * n, (src + 1) * n), dst * n);
  });
  return { s, ut: uts, vt: vts };
}
