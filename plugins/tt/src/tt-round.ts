import { linalg } from '@lowrank/core';
import { truncateSvd } from './truncate.js';
import { checkTtCores } from './tt-reconstruct.js';
import { checkTtOptions, type TtCores, type TtSvdOptions } from './tt-svd.js';

/**
 * The same tensor with cores `1..d-1` left-orthogonal: each core reshaped
 * `(r_{k-1} n_k) x r_k` is replaced by the `Q` of its QR and `R` moves into the next core.
 * Ranks above `r_{k-1} n_k` shrink to it.
 */
export function leftOrthogonalize(cores: TtCores): TtCores {
  checkTtCores('leftOrthogonalize', cores);
  const out: TtCores = [];
  let carry: linalg.Matrix | null = null; // R of the previous core, r'_{k-1} x r_{k-1}
  cores.forEach((core, k) => {
    const [r, n, r2] = core.shape;
    let m = linalg.matrix(r, n * r2, core.data);
    if (carry) m = linalg.matmul(carry, m);
    const rows = m.rows;
    if (k === cores.length - 1) {
      out.push(linalg.ndarray([rows, n, r2], m.data));
      return;
    }
    const { Q, R } = linalg.qr(linalg.matrix(rows * n, r2, m.data));
    out.push(linalg.ndarray([rows, n, Q.cols], Q.data));
    carry = R;
  });
  return out;
}

/**
 * TT rounding: left-orthogonalise, then from the last core to the second a truncated SVD of
 * each core reshaped `r_{k-1} x (n_k r_k)` keeps `V^T` as the core and moves `U S` into the
 * previous one. Ranks are the caps, or with `eps` the smallest within the caps whose tail is
 * at most `eps ‖A‖ / sqrt(d - 1)`, so that `‖A - round(A)‖ <= eps ‖A‖` when no cap binds.
 */
export function ttRound(cores: TtCores, options: TtSvdOptions = {}): TtCores {
  const fn = 'ttRound';
  checkTtCores(fn, cores);
  const d = cores.length;
  checkTtOptions(fn, d, options);
  const { ranks, eps, ...route } = options;
  const out = leftOrthogonalize(cores);
  if (d === 1) return out;
  // After left-orthogonalisation the norm of the tensor is the norm of the last core.
  const norm = Math.sqrt(out[d - 1].data.reduce((s, v) => s + v * v, 0));
  const delta = eps === undefined ? undefined : (eps * norm) / Math.sqrt(d - 1);
  for (let k = d - 1; k >= 1; k--) {
    const [r, n, r2] = out[k].shape;
    // The transpose (n_k r_k) x r_{k-1} = V (S U^T): its "U" is the right factor V.
    const t = truncateSvd(
      linalg.transpose(linalg.matrix(r, n * r2, out[k].data)),
      Math.min(ranks?.[k - 1] ?? r, r, n * r2),
      delta,
      route,
    );
    out[k] = linalg.ndarray([t.rank, n, r2], linalg.transpose(t.U).data);
    const [rp, np] = out[k - 1].shape;
    const prev = linalg.matmul(linalg.matrix(rp * np, r, out[k - 1].data), t.SV, { transB: true });
    out[k - 1] = linalg.ndarray([rp, np, t.rank], prev.data);
  }
  return out;
}
