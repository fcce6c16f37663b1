/**
 * Randomized truncated SVD (Halko, Martinsson and Tropp): a Gaussian sketch
 * `Y = A Omega` captures the range of `A`, power iterations
 * `Q <- orth(A orth(A^T Q))` sharpen it when the spectrum decays slowly, and
 * the SVD of the small `B = Q^T A` gives the factors. The sketch is seeded,
 * so the result is reproducible.
 *
 * With `l = k + oversample` columns, the error is close to the optimal
 * `sqrt(sum_{i>k} s_i^2)` for matrices whose singular values decay; each
 * power iteration costs two more passes over `A`.
 */
import { SeededRandom } from '../data/prng.js';
import { LinalgError } from './errors.js';
import { type Matrix, matmul, sliceCols, transpose } from './matrix.js';
import { qr } from './qr.js';
import { flipColumns, largestEntrySigns } from './signs.js';
import { type SVD, svd } from './svd.js';
import { checkFactorInput } from './validate.js';

export interface RandomizedSvdOptions {
  /** Extra sketch columns beyond `k` (default 10). */
  oversample?: number;
  /** Power iterations (default 2). */
  powerIters?: number;
  /** Seed of the Gaussian sketch (default 0). */
  seed?: number;
}

/** The top `k` singular triplets, approximately; same shapes and conventions as `svd` truncated to `k`. */
export function randomizedSvd(a: Matrix, k: number, opts: RandomizedSvdOptions = {}): SVD {
  const fn = 'randomizedSvd';
  checkFactorInput(fn, a);
  const { rows: m, cols: n } = a;
  const p = Math.min(m, n);
  if (!Number.isInteger(k) || k < 1 || k > p)
    throw new LinalgError(fn, [m, n], `rank ${k} is not in [1, ${p}]`);
  const { oversample = 10, powerIters = 2, seed = 0 } = opts;
  if (!(oversample >= 0) || !(powerIters >= 0)) {
    throw new LinalgError(fn, [m, n], 'oversample and powerIters must be non-negative');
  }
  const l = Math.min(p, k + oversample);
  const rng = new SeededRandom(seed);
  const omega: Matrix = { rows: n, cols: l, data: Float64Array.from({ length: n * l }, () => rng.normal()) };
  const at = transpose(a);
  let q = qr(matmul(a, omega)).Q;
  for (let it = 0; it < powerIters; it++) {
    // Re-orthonormalising between the two products keeps the small singular directions from drowning in rounding.
    const z = qr(matmul(at, q)).Q;
    q = qr(matmul(a, z)).Q;
  }
  const small = svd(matmul(q, a, { transA: true }));
  const U = matmul(q, sliceCols(small.U, 0, k));
  const V = sliceCols(small.V, 0, k);
  const sign = largestEntrySigns(U);
  flipColumns(U, sign);
  flipColumns(V, sign);
  return { U, s: small.s.slice(0, k), V };
}
