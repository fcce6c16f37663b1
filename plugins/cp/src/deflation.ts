/**
 * The greedy deflation baseline (ALGORITHMS.md, "CP"): `R` times, fit a rank-1 term to
 * the residual by the higher-order power iteration (rank-1 ALS) from a few random
 * starts, keep the best, subtract it. Each term removes `lambda^2` from `‖residual‖^2`
 * (its weight is the residual's projection on it), so the error never rises from one
 * term to the next; the result is in general worse than CP-ALS at the same rank.
 */
import { linalg, SeededRandom } from '@lowrank/core';
import { type CpFit, cpAls, squaredNorm } from './als.js';

export interface CpDeflationOptions {
  /** Power iterations per rank-1 fit at most (default 100). */
  maxIterations?: number;
  /** Stop a rank-1 fit when its relative error changes by less than this (default 1e-8). */
  tolerance?: number;
  /** Random starts per term; the best fit is kept (default 3). */
  starts?: number;
  seed?: number;
  /** Called after each term with its number (from 1) and the relative error of the sum so far. */
  onIteration?: (term: number, relativeError: number) => void;
}

export function cpDeflation(x: linalg.NdArray, rank: number, options: CpDeflationOptions = {}): CpFit {
  const { maxIterations = 100, tolerance = 1e-8, starts = 3, seed = 0, onIteration } = options;
  const rng = new SeededRandom(seed);
  const normX2 = squaredNorm(x.data);
  const residual = linalg.ndarray(x.shape, x.data.slice());
  const lambda = new Float64Array(rank);
  const factors = x.shape.map((size) => linalg.zeros(size, rank));
  const errors: number[] = [];
  for (let r = 0; r < rank; r++) {
    let best: CpFit | null = null;
    for (let s = 0; s < starts; s++) {
      const fit = cpAls(residual, 1, { init: 'random', seed: rng.nextUint32(), maxIterations, tolerance });
      if (best === null || fit.lambda[0] > best.lambda[0]) best = fit;
    }
    const term = best as CpFit;
    lambda[r] = term.lambda[0];
    term.factors.forEach((f, n) => {
      for (let i = 0; i < f.rows; i++) factors[n].data[i * rank + r] = f.data[i];
    });
    subtractRankOne(residual, term);
    const error = normX2 > 0 ? Math.sqrt(squaredNorm(residual.data) / normX2) : 0;
    errors.push(error);
    onIteration?.(r + 1, error);
  }
  return { lambda, factors, errors };
}

/** `residual -= lambda a_0 o a_1 o ...` for a rank-1 model. */
function subtractRankOne(residual: linalg.NdArray, term: CpFit): void {
  const [first, ...rest] = term.factors;
  // The rank-1 Khatri-Rao product of the other modes, last index fastest.
  const kr = rest.reduce<Float64Array>(
    (acc, f) => linalg.kron({ rows: acc.length, cols: 1, data: acc }, f).data,
    Float64Array.of(1),
  );
  const p = kr.length;
  for (let i = 0; i < first.rows; i++) {
    const a = term.lambda[0] * first.data[i];
    const off = i * p;
    for (let j = 0; j < p; j++) residual.data[off + j] -= a * kr[j];
  }
}
