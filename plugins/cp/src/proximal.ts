/**
 * The regularisation of CP-ALS-Sigma's small solves, a proximal step: instead of `N x =
 * b` the update solves `(N + mu I) x = b + mu x_cur`, the minimiser of `objective(x) + mu
 * ‖x - x_cur‖^2`. The shifted matrix is definite for any `mu > 0`, so a rank-deficient
 * Sigma or collinear factors (a singular `N`) leave the factor where it was in the
 * directions `N` does not see instead of sending it to infinity; and because the new
 * factor minimises the regularised objective, it never raises the true one. Fixed points
 * are those of plain ALS; elsewhere the step moves by about `mu / lambda_min(N)` of its
 * length, with `mu = PROXIMAL_WEIGHT * trace(N) / n` (1e-14 relative: invisible for a
 * well-conditioned `N`).
 */
import { linalg } from '@lowrank/core';

export const PROXIMAL_WEIGHT = 1e-14;

/** When rounding leaves `N + mu I` numerically indefinite, `mu` grows by this factor, up to the maximum. */
const ESCALATION = 100;
const PROXIMAL_WEIGHT_MAX = 1e-4;

/** The shifts `mu` to try in turn for a system of trace `trace` and size `n`. */
export function* proximalShifts(trace: number, n: number): Generator<number> {
  for (let weight = PROXIMAL_WEIGHT; weight <= PROXIMAL_WEIGHT_MAX; weight *= ESCALATION) {
    yield (weight * trace) / n;
  }
}

/** `(N + mu I)^{-1} B` by Cholesky (`B` a vector or an `n x k` matrix), or null when the shifted matrix is not definite. */
export function shiftedCholeskySolve<B extends linalg.RightHandSide>(
  n: linalg.Matrix,
  mu: number,
  b: B,
): B | null {
  const shifted = linalg.clone(n);
  for (let i = 0; i < n.rows; i++) shifted.data[i * n.rows + i] += mu;
  try {
    return linalg.choleskySolve(linalg.cholesky(shifted).L, b);
  } catch (e) {
    if (e instanceof linalg.LinalgError) return null;
    throw e;
  }
}
