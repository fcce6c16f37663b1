/**
 * CP-ALS (ALGORITHMS.md, "CP"): per mode `n`, `A_n = M_n V_n^+` with `M_n` the MTTKRP
 * and `V_n` the Hadamard product of the other factors' Grams, columns normalised into
 * `lambda`. The error after each sweep comes from the cheap formula
 * `‖X - X̂‖^2 = ‖X‖^2 + ‖X̂‖^2 - 2 <M_N, A_N diag(lambda)>`, optionally with Bro's line
 * search. Every factor update is an exact least-squares solve, so the error trace never
 * rises; an extrapolated step is only taken when it lowers the error further.
 */
import { linalg } from '@lowrank/core';
import { type CpModel, cloneCp, cpNormSquared, cpToNdArray, hadamard, normalizeInPlace } from './cp-model.js';
import { type CpInit, initialModel } from './init.js';
import { contractFirst, mttkrpFirst, mttkrpRest } from './mttkrp.js';
import { solveNormalEquations } from './normal-equations.js';

export interface CpAlsOptions {
  /** Sweeps at most (default 100). */
  maxIterations?: number;
  /** Stop when the relative error changes by less than this between sweeps (default 1e-8). */
  tolerance?: number;
  /** Default 'svd'. */
  init?: CpInit;
  /** Bro's extrapolation every other sweep (default false). */
  lineSearch?: boolean;
  /** Seed of the random init and of the random columns of the SVD init (default 0). */
  seed?: number;
  /** Called after each sweep with its number (from 1) and the relative error. */
  onIteration?: (iteration: number, relativeError: number) => void;
}

/** A fitted CP model with its relative-error trace (one entry per sweep, or per term for deflation). */
export interface CpFit extends CpModel {
  errors: number[];
}

/**
 * Below this relative error the cheap formula has lost most of its digits to
 * cancellation (its floor is about sqrt(eps) ≈ 1e-8), so the error is computed from
 * the reconstruction instead, at the price of one more `I_0 x P x R` product.
 */
const EXPLICIT_ERROR_BELOW = 1e-4;

/** Bro's line search: failures before the extrapolation exponent's denominator grows. */
const MAX_FAILURES = 4;

export function cpAls(x: linalg.NdArray, rank: number, options: CpAlsOptions = {}): CpFit {
  const {
    maxIterations = 100,
    tolerance = 1e-8,
    init = 'svd',
    lineSearch = false,
    seed = 0,
    onIteration,
  } = options;
  const normX2 = squaredNorm(x.data);
  const cp: CpModel = initialModel(x, rank, init, seed);
  const errors: number[] = [];
  if (normX2 === 0) {
    // Nothing to fit: the zero model is exact.
    cp.lambda.fill(0);
    errors.push(0);
    onIteration?.(1, 0);
    return { ...cp, errors };
  }
  let state: SweepState = { cp, grams: cp.factors.map((f) => linalg.gram(f)), firstMttkrp: null };
  let power = 2;
  let failures = 0;
  for (let it = 1; it <= maxIterations; it++) {
    const previous: SweepState = {
      cp: cloneCp(state.cp),
      grams: [...state.grams],
      firstMttkrp: state.firstMttkrp,
    };
    let error = sweep(x, normX2, state);
    state.firstMttkrp = null;
    if (lineSearch && it % 2 === 0) {
      const candidate = extrapolated(x, previous.cp, state.cp, it ** (1 / power));
      const candidateError = relativeError(x, normX2, candidate.cp, candidate.grams, innerFirst(candidate));
      if (candidateError < error) {
        state = candidate;
        error = candidateError;
        failures = 0;
      } else if (++failures === MAX_FAILURES) {
        power += 1;
        failures = 0;
      }
    }
    const last = errors.length > 0 ? errors[errors.length - 1] : Number.POSITIVE_INFINITY;
    if (error > last) {
      // Only rounding can raise the error of exact least-squares updates: the fit has
      // gone as far as float64 allows. Keep the better iterate and stop.
      state = previous;
      break;
    }
    errors.push(error);
    onIteration?.(it, error);
    if (last - error < tolerance) break;
  }
  return { ...state.cp, errors };
}

interface SweepState {
  cp: CpModel;
  /** `A_n^T A_n` of the current (unit-column) factors. */
  grams: linalg.Matrix[];
  /** `M_0` for the current factors when already known (from an accepted extrapolation). */
  firstMttkrp: linalg.Matrix | null;
}

/** One ALS sweep over all modes, in place; returns the relative error after it. */
function sweep(x: linalg.NdArray, normX2: number, state: SweepState): number {
  const { cp, grams } = state;
  const n = cp.factors.length;
  const rank = cp.lambda.length;
  const update = (mode: number, m: linalg.Matrix): linalg.Matrix => {
    const v = hadamard(grams, mode);
    const current = linalg.scaleCols(cp.factors[mode], cp.lambda);
    const candidate = solveNormalEquations(m, v);
    const solved = lowersObjective(m, v, current, candidate) ? candidate : current;
    const unit = linalg.clone(solved);
    cp.lambda.fill(1);
    cp.factors[mode] = unit;
    normalizeInPlace({ lambda: cp.lambda, factors: [unit] });
    grams[mode] = linalg.gram(unit);
    return solved;
  };
  update(0, state.firstMttkrp ?? mttkrpFirst(x, cp.factors.slice(1), rank));
  const y = contractFirst(x, cp.factors[0]);
  let inner = 0;
  for (let mode = 1; mode < n; mode++) {
    const m = mttkrpRest(y, cp.factors.slice(1), mode);
    const solved = update(mode, m);
    if (mode === n - 1) inner = dot(m.data, solved.data);
  }
  return relativeError(x, normX2, cp, grams, inner);
}

/**
 * Whether `next` does not raise the mode's objective `‖X‖^2 - 2 <M, A> + tr(A V A^T)`
 * above its value at `current`. An exact solve always lowers it, but near an exact fit
 * with a spare rank `V` is nearly singular and the solve's rounding, amplified by
 * cond(V), can throw the factor off; then the current one is kept. The change is
 * evaluated in difference form, `<D, (next + current) V - 2 M>` with `D = next - current`,
 * so it is not lost to cancellation against `‖X‖^2`.
 */
function lowersObjective(
  m: linalg.Matrix,
  v: linalg.Matrix,
  current: linalg.Matrix,
  next: linalg.Matrix,
): boolean {
  const sum = linalg.matmul(
    { rows: next.rows, cols: next.cols, data: next.data.map((x, i) => x + current.data[i]) },
    v,
  );
  let change = 0;
  for (let i = 0; i < next.data.length; i++)
    change += (next.data[i] - current.data[i]) * (sum.data[i] - 2 * m.data[i]);
  return change <= 0;
}

/** `‖X - X̂‖ / ‖X‖` from `<X, X̂>`, exactly from the reconstruction when the cheap formula cannot resolve it. */
function relativeError(
  x: linalg.NdArray,
  normX2: number,
  cp: CpModel,
  grams: readonly linalg.Matrix[],
  inner: number,
): number {
  const cheap = Math.sqrt(Math.max(normX2 + cpNormSquared(cp, grams) - 2 * inner, 0) / normX2);
  if (cheap >= EXPLICIT_ERROR_BELOW) return cheap;
  const approx = cpToNdArray(cp).data;
  let s = 0;
  for (let i = 0; i < approx.length; i++) {
    const d = x.data[i] - approx[i];
    s += d * d;
  }
  return Math.sqrt(s / normX2);
}

/**
 * `before + jump (after - before)` for every factor and for `lambda`, renormalised,
 * with its `M_0` (which the next sweep reuses if the step is accepted).
 */
function extrapolated(
  x: linalg.NdArray,
  before: CpModel,
  after: CpModel,
  jump: number,
): SweepState & { firstMttkrp: linalg.Matrix } {
  const step = (a: Float64Array, b: Float64Array) => a.map((v, i) => v + jump * (b[i] - v));
  const cp = normalizeInPlace({
    lambda: step(before.lambda, after.lambda),
    factors: before.factors.map((f, n) => ({
      rows: f.rows,
      cols: f.cols,
      data: step(f.data, after.factors[n].data),
    })),
  });
  return {
    cp,
    grams: cp.factors.map((f) => linalg.gram(f)),
    firstMttkrp: mttkrpFirst(x, cp.factors.slice(1), cp.lambda.length),
  };
}

/** `<X, X̂> = sum_r lambda_r <M_0[:, r], A_0[:, r]>`. */
function innerFirst(state: SweepState & { firstMttkrp: linalg.Matrix }): number {
  const { cp, firstMttkrp: m } = state;
  const rank = cp.lambda.length;
  const a = cp.factors[0].data;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += m.data[i] * a[i] * cp.lambda[i % rank];
  return s;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function squaredNorm(data: Float64Array): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i] * data[i];
  return s;
}
