/**
 * Symmetric eigendecomposition `A = V diag(w) V^T`: eigenvalues ascending,
 * eigenvectors orthonormal columns of `V`. Householder tridiagonalization,
 * divide and conquer on the tridiagonal matrix, then the back-transformation
 * by the reflectors.
 *
 * Only the lower triangle of `A` is read (as LAPACK does); symmetry is the
 * caller's promise. Sign convention (signs.ts): the entry of largest
 * magnitude of each eigenvector is positive.
 */
import { tridiagonalEigen } from './divide-conquer.js';
import type { Matrix } from './matrix.js';
import { flipColumns, largestEntrySigns } from './signs.js';
import { applyQ, tridiagonalize } from './tridiagonal.js';
import { checkFactorInput } from './validate.js';

export interface Eigh {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** Column j is the unit eigenvector of `values[j]`. */
  vectors: Matrix;
}

export interface EighOptions {
  /** Bound on the QR sweeps of each small tridiagonal block (default `30 * n`); exceeding it throws `NonConvergenceError`. */
  maxIter?: number;
}

export function eigh(a: Matrix, opts: EighOptions = {}): Eigh {
  checkFactorInput('eigh', a, { square: true });
  const n = a.rows;
  const t = tridiagonalize(a.data.slice(), n);
  const { values, vectors } = tridiagonalEigen(t.d, t.e, opts.maxIter ?? 30 * n, [n, n], 'eigh');
  applyQ(t, vectors, n);
  const V = { rows: n, cols: n, data: vectors };
  flipColumns(V, largestEntrySigns(V));
  return { values, vectors: V };
}
