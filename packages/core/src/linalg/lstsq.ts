/**
 * Least squares and the pseudo-inverse through the SVD, so rank-deficient and
 * ill-conditioned problems get the minimum-norm solution: singular values at
 * or below `rcond * s_max` count as zero.
 */
import { LinalgError } from './errors.js';
import { type Matrix, matmul, scaleCols } from './matrix.js';
import type { RightHandSide } from './solve.js';
import { svd } from './svd.js';
import { checkFactorInput, checkFinite } from './validate.js';

export interface LstsqOptions {
  /** Relative cut-off for small singular values (default `max(m, n) * eps`). */
  rcond?: number;
}

export interface Lstsq<B extends RightHandSide> {
  /** The minimum-norm minimiser of `|A x - b|`, one column per right-hand side. */
  x: B;
  /** Number of singular values above the cut-off. */
  rank: number;
  singularValues: Float64Array;
}

export function lstsq<B extends RightHandSide>(a: Matrix, b: B, opts: LstsqOptions = {}): Lstsq<B> {
  const fn = 'lstsq';
  checkFactorInput(fn, a);
  const bm: Matrix = b instanceof Float64Array ? { rows: b.length, cols: 1, data: b } : b;
  if (bm.rows !== a.rows) throw new LinalgError(fn, [a.rows, a.cols], `right-hand side has ${bm.rows} rows`);
  checkFinite(fn, bm, 'right-hand side');
  const { U, s, V } = svd(a);
  const { inv, rank } = invertSingularValues(s, opts.rcond ?? Math.max(a.rows, a.cols) * Number.EPSILON);
  // x = V diag(1/s) U^T b
  const x = matmul(scaleCols(V, inv), matmul(U, bm, { transA: true }));
  return { x: (b instanceof Float64Array ? x.data : x) as B, rank, singularValues: s };
}

/** The Moore-Penrose pseudo-inverse `A^+ = V diag(1/s) U^T` (`n x m`). */
export function pinv(a: Matrix, opts: LstsqOptions = {}): Matrix {
  checkFactorInput('pinv', a);
  const { U, s, V } = svd(a);
  const { inv } = invertSingularValues(s, opts.rcond ?? Math.max(a.rows, a.cols) * Number.EPSILON);
  return matmul(scaleCols(V, inv), U, { transB: true });
}

function invertSingularValues(s: Float64Array, rcond: number): { inv: Float64Array; rank: number } {
  const cut = rcond * (s.length > 0 ? s[0] : 0);
  let rank = 0;
  const inv = s.map((x) => {
    if (x > cut && x > 0) {
      rank++;
      return 1 / x;
    }
    return 0;
  });
  return { inv, rank };
}
