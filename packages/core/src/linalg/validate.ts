/** Input checks shared by the public routines, each failing with a `LinalgError` naming the caller. */
import { LinalgError } from './errors.js';
import type { Matrix } from './matrix.js';

/** Rejects NaN and Inf anywhere in `a`. */
export function checkFinite(fn: string, a: Matrix, what = 'input'): void {
  const d = a.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      const r = Math.floor(i / a.cols);
      throw new LinalgError(fn, [a.rows, a.cols], `${what} has ${d[i]} at (${r}, ${i - r * a.cols})`);
    }
  }
}

export function checkFiniteVector(fn: string, x: Float64Array, what = 'vector'): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new LinalgError(fn, [x.length], `${what} has ${x[i]} at ${i}`);
  }
}

/** Rejects matrices with a zero dimension, for factorizations that mean nothing on them. */
export function checkNonEmpty(fn: string, a: Matrix): void {
  if (a.rows === 0 || a.cols === 0) throw new LinalgError(fn, [a.rows, a.cols], 'empty matrix');
}

export function checkSquare(fn: string, a: Matrix): void {
  if (a.rows !== a.cols) throw new LinalgError(fn, [a.rows, a.cols], 'matrix must be square');
}

/** The common prologue of a factorization: well-formed, non-empty and finite. */
export function checkFactorInput(fn: string, a: Matrix, opts: { square?: boolean } = {}): void {
  if (a.data.length !== a.rows * a.cols) {
    throw new LinalgError(fn, [a.rows, a.cols], `data has ${a.data.length} values`);
  }
  checkNonEmpty(fn, a);
  if (opts.square) checkSquare(fn, a);
  checkFinite(fn, a);
}
