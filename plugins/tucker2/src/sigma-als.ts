import { linalg } from '@lowrank/core';
import type { Tucker2Result } from './hooi.js';
import { solveV, type VSolve } from './v-solve.js';

export interface SigmaAlsOptions {
  /** ALS sweeps (each updates V, then U, then G). */
  maxIterations: number;
  /** Stop when the relative Sigma error changes by less than this, or is itself below it. */
  tolerance: number;
  /** How the V update solves its normal equations (default 'auto'). */
  vSolve?: VSolve;
  /** Called with the relative Sigma error of the start (iteration 0) and of each kept sweep. */
  onIteration?: (iteration: number, relativeError: number) => void;
}

/**
 * Tucker2-ALS-Sigma (the Sigma paper, sec. 4.2.2): minimises `‖(W_mat - What_mat) L‖_F`,
 * `What_mat = U G_(1) Q^T`, `Q = V ⊗ I_K`, over `U`, `G`, `V` from `start` (the Frobenius
 * HOSVD/HOOI). `w` is `O x I x K`, `l` is `P x P` with `L L^T = Sigma` (any square root
 * will do: only Sigma is used, and `L` for the error). Each sweep updates `V` (see
 * `solveV`), `U` (`U (Mg Sigma Mg^T) = W_mat Sigma Mg^T`, `Mg = G_(1) Q^T`) and `G`
 * (`G_(1) (Q^T Sigma Q) = U^T W_mat Sigma Q`, for orthonormal `U`), each as a proximal
 * least-squares step (`linalg.proximalSolve`) so a singular Sigma cannot blow it up.
 *
 * After the `V` and `U` updates the factor is re-orthonormalised, `V = Q_v R_v` with
 * `R_v` folded into the core (`G x2 R_v`), likewise `U`: `What` is unchanged and the
 * factors keep the plugin's contract (orthonormal columns). A sweep that raises the
 * Sigma error is dropped and the previous iterate returned.
 */
export function tucker2AlsSigma(
  w: linalg.NdArray,
  l: linalg.Matrix,
  start: Tucker2Result,
  options: SigmaAlsOptions,
): Tucker2Result {
  const [out, inChannels, k] = w.shape;
  const p = inChannels * k;
  const wMat = linalg.matrix(out, p, w.data);
  const sigma = linalg.matmul(l, l, { transB: true });
  const wSigma = linalg.matmul(wMat, sigma);
  const wNorm = linalg.norm(linalg.matmul(wMat, l));
  const relativeError = ({ core, u, v }: Tucker2Result) => {
    if (wNorm === 0) return 0;
    const approx = linalg.matmul(u, coreTimesV(core, v));
    return linalg.norm(linalg.matmul(linalg.sub(wMat, approx), l)) / wNorm;
  };

  let current = start;
  let error = relativeError(current);
  options.onIteration?.(0, error);
  for (let it = 1; it <= options.maxIterations && error > options.tolerance; it++) {
    let { core, u, v } = current;
    ({ factor: v, core } = orthonormalised(solveV({ sigma, wSigma, u, core, v }, options.vSolve), core, 1));
    ({ factor: u, core } = orthonormalised(updateU(wSigma, sigma, u, core, v), core, 0));
    core = updateCore(wSigma, sigma, u, v, core);
    const next = { core, u, v };
    const nextError = relativeError(next);
    if (!(nextError <= error)) break;
    const change = error - nextError;
    current = next;
    error = nextError;
    options.onIteration?.(it, error);
    if (change < options.tolerance) break;
  }
  return current;
}

/** `Mg = G_(1) Q^T` as `R1 x P`: `Mg[a,(s,k)] = sum_b G[a,b,k] V[s,b]`. */
function coreTimesV(core: linalg.NdArray, v: linalg.Matrix): linalg.Matrix {
  const mg = linalg.modeProduct(core, v, 1);
  return linalg.matrix(mg.shape[0], mg.shape[1] * mg.shape[2], mg.data);
}

/** `factor = Q R` (thin QR), the core multiplied by `R` on `mode`: the product is unchanged. */
function orthonormalised(
  factor: linalg.Matrix,
  core: linalg.NdArray,
  mode: number,
): { factor: linalg.Matrix; core: linalg.NdArray } {
  const { Q, R } = linalg.qr(factor);
  return { factor: Q, core: linalg.modeProduct(core, R, mode) };
}

/** `U` from `U A = B`, `A = Mg Sigma Mg^T` (`R1 x R1`), `B = W_mat Sigma Mg^T` (`O x R1`). */
function updateU(
  wSigma: linalg.Matrix,
  sigma: linalg.Matrix,
  u: linalg.Matrix,
  core: linalg.NdArray,
  v: linalg.Matrix,
): linalg.Matrix {
  const mg = coreTimesV(core, v);
  const a = linalg.matmul(linalg.matmul(mg, sigma), mg, { transB: true });
  const b = linalg.matmul(wSigma, mg, { transB: true });
  return linalg.transpose(linalg.proximalSolve(a, linalg.transpose(b), linalg.transpose(u)));
}

/**
 * `G` from `G_(1) S = U^T W_mat Sigma Q` with `S = Q^T Sigma Q` (`R2 K x R2 K`), for
 * orthonormal `U` (then `‖(W - U G_(1) Q^T) L‖² = ‖(U^T W - G_(1) Q^T) L‖² + const`).
 */
function updateCore(
  wSigma: linalg.Matrix,
  sigma: linalg.Matrix,
  u: linalg.Matrix,
  v: linalg.Matrix,
  core: linalg.NdArray,
): linalg.NdArray {
  const [r1, r2, k] = core.shape;
  const inChannels = v.rows;
  const rk = r2 * k;
  // X Q for X with P columns (i, k): apply V^T to the channel mode of X as (rows, I, K).
  const timesQ = (x: linalg.Matrix) =>
    linalg.matrix(
      x.rows,
      rk,
      linalg.modeProduct(linalg.ndarray([x.rows, inChannels, k], x.data), v, 1, { transpose: true }).data,
    );
  const s = timesQ(linalg.transpose(timesQ(sigma)));
  const rhs = timesQ(linalg.matmul(u, wSigma, { transA: true }));
  const previous = linalg.matrix(r1, rk, core.data);
  const g = linalg.transpose(linalg.proximalSolve(s, linalg.transpose(rhs), linalg.transpose(previous)));
  return linalg.ndarray([r1, r2, k], g.data);
}
