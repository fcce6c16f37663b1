import { linalg } from '@lowrank/core';

export interface HooiOptions {
  /** HOOI sweeps after the HOSVD initialisation (0: HOSVD only). */
  maxIterations: number;
  /** Stop when the relative error changes by less than this between sweeps. */
  tolerance: number;
  /** Called with the relative error of the HOSVD (iteration 0) and after each sweep. */
  onIteration?: (iteration: number, relativeError: number) => void;
}

export interface Tucker2Result {
  /** `R1 x R2 x K`. */
  core: linalg.NdArray;
  /** `O x R1`, orthonormal columns. */
  u: linalg.Matrix;
  /** `I x R2`, orthonormal columns. */
  v: linalg.Matrix;
}

/** The top `k` left singular vectors. */
function leading(m: linalg.Matrix, k: number): linalg.Matrix {
  // Only U is needed, so the eigenvectors of the small Gram matrix do, about 3x faster than the
  // full SVD on conv unfoldings; they lose accuracy for singular values below ~sqrt(eps) s_1, so a
  // spread-out kept spectrum goes to the full SVD (the same rule as svdTruncated's 'auto').
  if (m.rows <= m.cols) {
    const g = linalg.svdTruncated(m, k, { method: 'gram' });
    if (g.s[k - 1] >= 1e-4 * g.s[0]) return g.U;
  }
  return linalg.svdTruncated(m, k).U;
}

/** Below this relative error the cheap formula's cancellation (noise about `eps / error`) is too coarse. */
const CHEAP_ERROR_FLOOR = 1e-2;

/**
 * Tucker2 of `w` (`O x I x K`) at ranks `[r1, r2]` (with `r1 <= r2*K`, `r2 <= r1*K`):
 * HOSVD, then HOOI sweeps `U <- leading r1 of unfold(W x2 V^T, 0)`, `V <- leading r2 of
 * unfold(W x1 U^T, 1)`, `G = W x1 U^T x2 V^T`. Each update maximises `‖G‖` over one
 * factor with the other fixed, so the error never increases.
 *
 * The relative error is `sqrt(|‖W‖^2 - ‖G‖^2|)/‖W‖` (exact for orthonormal factors),
 * or, when that is below 1e-2 and its rounding would blur the trace, the residual
 * `‖W - G x1 U x2 V‖/‖W‖` itself. Sweeps stop when the error changes by less than the
 * tolerance, or is itself below it (HOOI lowers the HOSVD error by at most a factor
 * sqrt(2), so nothing is left to gain).
 */
export function tucker2Hooi(
  w: linalg.NdArray,
  [r1, r2]: readonly [number, number],
  options: HooiOptions,
): Tucker2Result {
  const norm = linalg.vecNorm(w.data);
  const relativeError = (core: linalg.NdArray, u: linalg.Matrix, v: linalg.Matrix) => {
    if (norm === 0) return 0;
    const g = linalg.vecNorm(core.data) / norm;
    const cheap = Math.sqrt(Math.abs((1 - g) * (1 + g)));
    if (cheap >= CHEAP_ERROR_FLOOR) return cheap;
    const approx = linalg.multiModeProduct(core, [u, v]).data;
    return linalg.vecNorm(approx.map((a, i) => w.data[i] - a)) / norm;
  };
  let u = leading(linalg.unfold(w, 0), r1);
  let v = leading(linalg.unfold(w, 1), r2);
  let core = linalg.multiModeProduct(w, [u, v], { transpose: true });
  const errors = [relativeError(core, u, v)];
  options.onIteration?.(0, errors[0]);
  for (let it = 1; it <= options.maxIterations && errors[it - 1] > options.tolerance; it++) {
    u = leading(linalg.unfold(linalg.modeProduct(w, v, 1, { transpose: true }), 0), r1);
    const projected = linalg.modeProduct(w, u, 0, { transpose: true });
    v = leading(linalg.unfold(projected, 1), r2);
    core = linalg.modeProduct(projected, v, 1, { transpose: true });
    errors.push(relativeError(core, u, v));
    options.onIteration?.(it, errors[it]);
    if (Math.abs(errors[it - 1] - errors[it]) < options.tolerance) break;
  }
  return { core, u, v };
}
