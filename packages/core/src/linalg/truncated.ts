/**
 * Truncated SVD: the top `k` singular triplets by one of three routes.
 *
 * - `full`: the economy SVD, truncated. Exact to rounding; `O(m n min(m, n))`.
 * - `gram`: the eigendecomposition of the small Gram matrix (`A^T A` for a
 *   tall matrix, `A A^T` for a wide one), then the long-side vectors by one
 *   product and a QR re-orthonormalisation. Much cheaper for very wide or
 *   tall matrices (a conv unfolding, say) and the route ALGORITHMS.md asks
 *   for, but squaring blurs the singular directions whose values are below
 *   about `sqrt(eps) * s_max`: fine for the leading ones, not for a tail.
 * - `randomized`: see randomized.ts; approximate, for large matrices with
 *   decaying spectra.
 *
 * `auto` (the default) takes `randomized` when the matrix is large (the short
 * side at least `RANDOMIZED_MIN_SIDE`) and `k` is at most an eighth of it,
 * `gram` when one side is at least `GRAM_ASPECT` times the other, and `full`
 * otherwise. When the Gram route finds `s_k < GRAM_MIN_RATIO * s_1`, where
 * its accuracy would suffer, `auto` redoes the problem with `full`.
 */
import { eigh } from './eigh.js';
import { LinalgError } from './errors.js';
import { gram, type Matrix, matmul, sliceCols, vecNorm } from './matrix.js';
import { qr } from './qr.js';
import { type RandomizedSvdOptions, randomizedSvd } from './randomized.js';
import { flipColumns, largestEntrySigns } from './signs.js';
import { type SVD, svd } from './svd.js';
import { checkFactorInput } from './validate.js';

export type TruncatedMethod = 'auto' | 'full' | 'gram' | 'randomized';

export interface TruncatedSvdOptions extends RandomizedSvdOptions {
  method?: TruncatedMethod;
}

const GRAM_ASPECT = 8;
const GRAM_MIN_RATIO = 1e-4;
const RANDOMIZED_MIN_SIDE = 1024;

export function svdTruncated(a: Matrix, k: number, opts: TruncatedSvdOptions = {}): SVD {
  const fn = 'svdTruncated';
  checkFactorInput(fn, a);
  const { rows: m, cols: n } = a;
  const p = Math.min(m, n);
  if (!Number.isInteger(k) || k < 1 || k > p)
    throw new LinalgError(fn, [m, n], `rank ${k} is not in [1, ${p}]`);
  const method = opts.method ?? 'auto';
  switch (method) {
    case 'full':
      return truncate(svd(a), k);
    case 'gram':
      return gramSvd(a, k);
    case 'randomized':
      return randomizedSvd(a, k, opts);
    case 'auto': {
      if (p >= RANDOMIZED_MIN_SIDE && 8 * k <= p) return randomizedSvd(a, k, opts);
      if (Math.max(m, n) >= GRAM_ASPECT * p) {
        const result = gramSvd(a, k);
        if (result.s[k - 1] >= GRAM_MIN_RATIO * result.s[0]) return result;
      }
      return truncate(svd(a), k);
    }
    default:
      throw new LinalgError(fn, [m, n], `unknown method '${String(method)}'`);
  }
}

function truncate(f: SVD, k: number): SVD {
  return { U: sliceCols(f.U, 0, k), s: f.s.slice(0, k), V: sliceCols(f.V, 0, k) };
}

/** Top `k` through the Gram matrix of the short side. */
function gramSvd(a: Matrix, k: number): SVD {
  const tall = a.rows >= a.cols;
  const { values, vectors } = eigh(gram(a, tall ? 'AtA' : 'AAt'));
  const p = values.length;
  // eigh is ascending: the top k are the last k.
  const top: Matrix = { rows: p, cols: k, data: new Float64Array(p * k) };
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < p; i++) top.data[i * k + j] = vectors.data[i * p + (p - 1 - j)];
  }
  // The long side: A v_j = s_j u_j. |A v_j| estimates s_j to eps |A| (sqrt of the eigenvalue only to
  // sqrt(eps) |A|); QR restores orthonormality and covers s_j = 0, R's diagonal giving the signs.
  const rawLong = tall ? matmul(a, top) : matmul(a, top, { transA: true });
  const norms = Float64Array.from({ length: k }, (_, j) => vecNorm(rawLong.data, j, rawLong.rows, k));
  const order = Int32Array.from(norms.keys()).sort((x, y) => norms[y] - norms[x]);
  const s = Float64Array.from(order, (j) => norms[j]);
  const short = permuteColumns(top, order);
  const { Q, R } = qr(permuteColumns(rawLong, order));
  const rSign = Float64Array.from({ length: k }, (_, j) => (R.data[j * R.cols + j] < 0 ? -1 : 1));
  flipColumns(Q, rSign);
  const [U, V] = tall ? [Q, short] : [short, Q];
  const sign = largestEntrySigns(U);
  flipColumns(U, sign);
  flipColumns(V, sign);
  return { U, s, V };
}

function permuteColumns(m: Matrix, order: Int32Array): Matrix {
  const out: Matrix = { rows: m.rows, cols: order.length, data: new Float64Array(m.rows * order.length) };
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < order.length; j++) out.data[i * order.length + j] = m.data[i * m.cols + order[j]];
  }
  return out;
}
