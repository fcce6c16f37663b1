import { linalg } from '@lowrank/core';

/** The proximal weight `mu`, relative to the system's mean diagonal `trace(A)/n`. */
export const PROXIMAL_WEIGHT = 1e-10;

/**
 * Solves one ALS least-squares step `A X = B` (`A` symmetric positive semidefinite,
 * `n x n`) as the proximal step `(A + mu I) X = B + mu X_prev`, i.e. the minimiser of
 * the step's quadratic plus `mu/2 ‖X - X_prev‖²`.
 *
 * Why: with a rank-deficient Sigma (or a factor that lost rank) `A` is singular and the
 * plain normal equations have no unique solution, so a bare solve would blow up. The
 * proximal term makes the system definite, pulls the null-space part of `X` to the
 * previous iterate instead of to noise, and keeps the step a descent step: the new `X`
 * scores at least as well as `X_prev` on the unregularised objective. At a fixed point
 * `X = X_prev` the term vanishes, so it does not move the solution. `mu` is
 * `PROXIMAL_WEIGHT * trace(A)/n`, raised by the Cholesky jitter when rounding still
 * leaves `A + mu I` indefinite; the right-hand side uses the same `mu`.
 */
export function proximalSolve(a: linalg.Matrix, b: linalg.Matrix, previous: linalg.Matrix): linalg.Matrix {
  const mu0 = PROXIMAL_WEIGHT * meanDiagonal(a);
  // A zero system (zero Sigma or zero factors): the objective does not depend on X.
  if (!(mu0 > 0)) return linalg.clone(previous);
  const shifted = linalg.clone(a);
  for (let i = 0; i < a.rows; i++) shifted.data[i * a.rows + i] += mu0;
  const { L, jitter } = linalg.cholesky(shifted, { jitter: true });
  const mu = mu0 + jitter;
  const rhs = linalg.clone(b);
  for (let i = 0; i < rhs.data.length; i++) rhs.data[i] += mu * previous.data[i];
  return linalg.choleskySolve(L, rhs);
}

/** `trace(A)/n`. */
export function meanDiagonal(a: linalg.Matrix): number {
  let trace = 0;
  for (let i = 0; i < a.rows; i++) trace += a.data[i * a.cols + i];
  return trace / a.rows;
}
