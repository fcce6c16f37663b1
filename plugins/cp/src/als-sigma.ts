/**
 * CP-ALS-Sigma (ALGORITHMS.md, "Norms"; derived from the Sigma paper's sec. 4.2.1, no
 * official code): the CP model minimising the layer's output error `‖(W_mat - What_mat)
 * L‖_F` (`L L^T = Sigma`) instead of the weight error. With `What_mat = A Z^T`, `A` the
 * output factor carrying the weights and `Z = KR(B, C, D)` (`P x R`, im2col order), a
 * sweep updates
 *
 * - `A = W_mat Sigma Z (Z^T Sigma Z)^{-1}` (every row of `A` at once, an `R x R` solve);
 * - each input factor in turn by its normal equations (`sigma-mode-system.ts`), its
 *   columns then normalised into `A`.
 *
 * Every input factor is weighted by Sigma. (A third-party version weights only the `A`
 * update by Sigma and updates the input factors as in plain CP-ALS: that alternates
 * between two objectives and minimises neither.) All solves are proximal steps
 * (`proximal.ts`) checked to lower the objective, so the Sigma error trace never rises;
 * should rounding make a sweep's error rise anyway, the previous iterate is kept and the
 * fit stops. With `Sigma = I` the updates are CP-ALS's, so from the same start the
 * iterates are the same.
 */
import { linalg } from '@lowrank/core';
import type { CpFit } from './als.js';
import { type CpModel, khatriRaoOf, normalizeInPlace } from './cp-model.js';
import { denseProximalSolve } from './proximal.js';
import {
  inputModeSystem,
  type ModeGeometry,
  modeGeometry,
  type SigmaSolver,
  solveInputMode,
} from './sigma-mode-system.js';

export interface CpAlsSigmaOptions {
  /** Sweeps at most (default 100). */
  maxIterations?: number;
  /** Stop when the relative Sigma error changes by less than this between sweeps (default 1e-8). */
  tolerance?: number;
  /**
   * How the input factors' normal equations are solved: 'auto' (default: dense Cholesky
   * up to `DENSE_SOLVE_MAX_UNKNOWNS` unknowns `I_m R`, preconditioned CG above), 'dense' or 'cg'.
   */
  solver?: SigmaSolver;
  /** Called after each sweep with its number (from 1) and the relative Sigma error `‖(W - What) L‖ / ‖W L‖`. */
  onIteration?: (iteration: number, relativeError: number) => void;
}

/** The iterate: `A` with the weights in it (`O x R`), the input factors with unit columns. */
interface SigmaState {
  a: linalg.Matrix;
  inputs: linalg.Matrix[];
}

/**
 * CP-ALS-Sigma of `x` (the weight, `O x I [x Kh x Kw]`, whose row-major data is `W_mat`)
 * under the whitening factor `l` (`P x P`), from `start` (the Frobenius CP-ALS fit, or
 * its init). `errors` holds the relative Sigma error after each sweep (the start's, if no
 * sweep improved on it).
 */
export function cpAlsSigma(
  x: linalg.NdArray,
  l: linalg.Matrix,
  start: CpModel,
  options: CpAlsSigmaOptions = {},
): CpFit {
  const { maxIterations = 100, tolerance = 1e-8, solver = 'auto', onIteration } = options;
  const rank = start.lambda.length;
  const w: linalg.Matrix = { rows: x.shape[0], cols: x.data.length / x.shape[0], data: x.data };
  const sigma = linalg.matmul(l, l, { transB: true });
  const ws = linalg.matmul(w, sigma);
  const normWL = linalg.norm(linalg.matmul(w, l));
  const errors: number[] = [];
  if (normWL === 0) {
    // The layer's output does not depend on the weight on this data: the zero model is exact.
    errors.push(0);
    onIteration?.(1, 0);
    return { lambda: new Float64Array(rank), factors: start.factors.map((f) => linalg.clone(f)), errors };
  }
  const relativeError = (s: SigmaState): number => {
    const residual = linalg.sub(w, linalg.matmul(s.a, khatriRaoOf(s.inputs, rank), { transB: true }));
    return linalg.norm(linalg.matmul(residual, l)) / normWL;
  };

  const sizes = start.factors.slice(1).map((f) => f.rows);
  const geometries = sizes.map((_, mode) => modeGeometry(sigma, sizes, mode));
  let state = startState(start);
  let last = relativeError(state);
  for (let it = 1; it <= maxIterations; it++) {
    const previous: SigmaState = {
      a: linalg.clone(state.a),
      inputs: state.inputs.map((f) => linalg.clone(f)),
    };
    sweep(state, ws, sigma, geometries, solver);
    const error = relativeError(state);
    if (error > last) {
      state = previous;
      break;
    }
    errors.push(error);
    onIteration?.(it, error);
    const change = last - error;
    last = error;
    if (change < tolerance) break;
  }
  if (errors.length === 0) {
    // Not even the first sweep improved on the start (already optimal to rounding): report its error.
    errors.push(last);
    onIteration?.(1, last);
  }
  const model = normalizeInPlace({
    lambda: new Float64Array(rank).fill(1),
    factors: [state.a, ...state.inputs],
  });
  return { ...model, errors };
}

function startState(start: CpModel): SigmaState {
  const a = linalg.scaleCols(start.factors[0], start.lambda);
  const inputs = start.factors.slice(1).map((f) => linalg.clone(f));
  for (const f of inputs) moveNormsInto(f, a);
  return { a, inputs };
}

/** One sweep in place: `A`, then the input factors in order. */
function sweep(
  state: SigmaState,
  ws: linalg.Matrix,
  sigma: linalg.Matrix,
  geometries: readonly ModeGeometry[],
  solver: SigmaSolver,
): void {
  const rank = state.a.cols;
  const z = khatriRaoOf(state.inputs, rank);
  state.a = outputFactor(
    linalg.matmul(ws, z),
    linalg.matmul(z, linalg.matmul(sigma, z), { transA: true }),
    state.a,
  );
  for (let mode = 0; mode < state.inputs.length; mode++) {
    // Gamma and A^T W Sigma change with A's columns, which each normalisation rescales.
    const gamma = linalg.gram(state.a);
    const transformed = linalg.matmul(state.a, ws, { transA: true });
    const system = inputModeSystem(geometries[mode], transformed, gamma, state.inputs, mode);
    const current = state.inputs[mode];
    const solved = solveInputMode(system, current.data, solver);
    const f: linalg.Matrix = { rows: current.rows, cols: rank, data: solved };
    moveNormsInto(f, state.a);
    state.inputs[mode] = f;
  }
}

/**
 * The proximal solve of `A (G + mu I) = M + mu A_cur` (`M = W_mat Sigma Z`, `G = Z^T Sigma
 * Z`), kept only if it does not raise `‖(W_mat - A Z^T) L‖^2`: the change `<D, (A_new +
 * A_cur) G - 2 M>` (`D = A_new - A_cur`) is not positive.
 */
function outputFactor(m: linalg.Matrix, g: linalg.Matrix, current: linalg.Matrix): linalg.Matrix {
  const rank = g.rows;
  let trace = 0;
  for (let r = 0; r < rank; r++) trace += g.data[r * rank + r];
  if (!(trace > 0)) return current;
  // G is symmetric: A (G + mu I) = B is (G + mu I) A^T = B^T.
  const solvedT = denseProximalSolve(g, linalg.transpose(m), linalg.transpose(current));
  if (!solvedT) return current;
  const next = linalg.transpose(solvedT);
  const sum = linalg.matmul(
    { rows: next.rows, cols: rank, data: next.data.map((v, k) => v + current.data[k]) },
    g,
  );
  let change = 0;
  for (let k = 0; k < next.data.length; k++)
    change += (next.data[k] - current.data[k]) * (sum.data[k] - 2 * m.data[k]);
  return change <= 0 ? next : current;
}

/** Scales `f`'s columns to unit norm and `a`'s columns by the norms (the tensor is unchanged); zero columns stay. */
function moveNormsInto(f: linalg.Matrix, a: linalg.Matrix): void {
  const rank = f.cols;
  for (let r = 0; r < rank; r++) {
    const norm = linalg.vecNorm(f.data, r, f.rows, rank);
    if (!(norm > 0)) continue;
    for (let i = 0; i < f.rows; i++) f.data[i * rank + r] /= norm;
    for (let o = 0; o < a.rows; o++) a.data[o * rank + r] *= norm;
  }
}
