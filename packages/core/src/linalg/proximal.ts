import { cholesky } from './cholesky.js';
import { clone, type Matrix } from './matrix.js';
import { choleskySolve } from './solve.js';

/** The default proximal weight, relative to the system's mean diagonal `trace(A)/n`. */
export const PROXIMAL_WEIGHT = 1e-10;

export interface ProximalSolveOptions {
  /** The proximal weight `mu`, relative to the system's mean diagonal `trace(A)/n` (default `PROXIMAL_WEIGHT`). */
  weight?: number;
}

/**
 * One ALS least-squares step `A X = B` (`A` symmetric positive semidefinite, `n x n`, the
 * normal equations of the step) solved as the proximal step `(A + mu I) X = B + mu X_prev`,
 * the minimiser of the step's quadratic plus `mu/2 ‖X - X_prev‖²`.
 *
 * Why: when `A` is singular or nearly so (a rank-deficient Sigma, collinear factors, a
 * rank-1 bond of a ring) a bare solve sends the null-space part of `X` to noise of huge
 * norm, whose rounding then spoils every later product. The proximal term keeps that part
 * at the previous iterate, and the new `X` scores at least as well as `X_prev` on the
 * unregularised objective, so ALS stays a descent method. At a fixed point the term
 * vanishes. `mu` is `weight * trace(A)/n`, raised by the Cholesky jitter when rounding
 * still leaves `A + mu I` indefinite; the right-hand side uses the same `mu`.
 */
export function proximalSolve(
  a: Matrix,
  b: Matrix,
  previous: Matrix,
  options: ProximalSolveOptions = {},
): Matrix {
  const mu0 = (options.weight ?? PROXIMAL_WEIGHT) * meanDiagonal(a);
  // A zero system (zero Sigma or zero factors): the objective does not depend on X.
  if (!(mu0 > 0)) return clone(previous);
  const shifted = clone(a);
  for (let i = 0; i < a.rows; i++) shifted.data[i * a.rows + i] += mu0;
  const { L, jitter } = cholesky(shifted, { jitter: true });
  const mu = mu0 + jitter;
  const rhs = clone(b);
  for (let i = 0; i < rhs.data.length; i++) rhs.data[i] += mu * previous.data[i];
  return choleskySolve(L, rhs);
}

/** `trace(A)/n`. */
export function meanDiagonal(a: Matrix): number {
  let trace = 0;
  for (let i = 0; i < a.rows; i++) trace += a.data[i * a.cols + i];
  return trace / a.rows;
}
