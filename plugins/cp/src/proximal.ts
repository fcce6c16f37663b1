/**
 * The regularisation of CP-ALS-Sigma's small solves, a proximal step: instead of `N x =
 * b` the update solves `(N + mu I) x = b + mu x_cur`, the minimiser of `objective(x) + mu
 * ‖x - x_cur‖^2`. The shifted matrix is definite for any `mu > 0`, so a rank-deficient
 * Sigma or collinear factors (a singular `N`) leave the factor where it was in the
 * directions `N` does not see instead of sending it to infinity; and because the new
 * factor minimises the regularised objective, it never raises the true one. Fixed points
 * are those of plain ALS; elsewhere the step moves by about `mu / lambda_min(N)` of its
 * length, with `mu = PROXIMAL_WEIGHT * trace(N) / n`.
 *
 * The dense solve is core's `linalg.proximalSolve`, which raises `mu` by Cholesky's jitter
 * when rounding leaves `N + mu I` indefinite. The matrix-free CG solve has no factorization
 * to report jitter, so it raises `mu` itself (`cgShifts`) when CG does not converge.
 */
import { linalg } from '@lowrank/core';

/**
 * 1e-14 relative, four orders below core's default: with `Sigma = I` CP-ALS-Sigma must
 * reproduce plain CP-ALS's exact (unregularised) iterates, so the shift stays at rounding
 * level for a well-conditioned `N`.
 */
export const PROXIMAL_WEIGHT = 1e-14;

/** When CG fails at a shift, `mu` grows by this factor, up to the maximum. */
const CG_ESCALATION = 100;
const CG_WEIGHT_MAX = 1e-4;

/**
 * The proximal step for a dense `N` (`n x n`), right-hand sides `b` and current iterate
 * `current` (both `n x k`); null when no shift up to Cholesky's largest jitter makes `N +
 * mu I` definite (an `N` indefinite beyond rounding, which no Gram matrix is).
 */
export function denseProximalSolve(
  n: linalg.Matrix,
  b: linalg.Matrix,
  current: linalg.Matrix,
): linalg.Matrix | null {
  try {
    return linalg.proximalSolve(n, b, current, { weight: PROXIMAL_WEIGHT });
  } catch (e) {
    if (e instanceof linalg.LinalgError) return null;
    throw e;
  }
}

/** The shifts `mu` the CG solve tries in turn for a system of trace `trace` and size `n`. */
export function* cgShifts(trace: number, n: number): Generator<number> {
  for (let weight = PROXIMAL_WEIGHT; weight <= CG_WEIGHT_MAX; weight *= CG_ESCALATION) {
    yield (weight * trace) / n;
  }
}
