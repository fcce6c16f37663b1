import { type Engine, linalg, SeededRandom } from '@lowrank/core';
import { arbConvLayer, arbLinearLayer } from '@lowrank/core/testing';
import { type CpFactors, type CpModel, cpToNdArray } from '../src/index.js';

/** Gaussian factors with unit weights: generically well conditioned, of CP rank exactly `rank`. */
export function randomCpModel(shape: readonly number[], rank: number, seed: number): CpModel {
  const rng = new SeededRandom(seed);
  return {
    lambda: new Float64Array(rank).fill(1),
    factors: shape.map((s) =>
      linalg.matrix(
        s,
        rank,
        Float64Array.from({ length: s * rank }, () => rng.normal()),
      ),
    ),
  };
}

/**
 * Factors whose columns are orthonormal in every mode at least as large as the rank
 * (Gaussian elsewhere), with distinct weights in [1, 2): a CP tensor far from the
 * degenerate ones, recovered by ALS from the SVD start without swamps.
 */
export function wellConditionedModel(shape: readonly number[], rank: number, seed: number): CpModel {
  const rng = new SeededRandom(seed);
  return {
    lambda: Float64Array.from({ length: rank }, () => 1 + rng.next()),
    factors: shape.map((s) => {
      const g = linalg.matrix(
        s,
        rank,
        Float64Array.from({ length: s * rank }, () => rng.normal()),
      );
      return s >= rank ? linalg.qr(g).Q : g;
    }),
  };
}

/** A random CP tensor of the given rank. */
export function randomLowRank(shape: readonly number[], rank: number, seed: number): linalg.NdArray {
  return cpToNdArray(randomCpModel(shape, rank, seed));
}

export function relativeDifference(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < x.length; i++) {
    num += (x[i] - y[i]) ** 2;
    den += x[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** The model as float64 factor tensors. */
export function factorsOf(engine: Engine, cp: CpModel): CpFactors {
  return {
    lambda: engine.keep(engine.fromData(cp.lambda.slice(), [cp.lambda.length])),
    factors: cp.factors.map((m) => engine.keep(linalg.fromMatrix(engine, m, 'float64'))),
  };
}

export { disposeCp as disposeFactors } from '../src/factors.js';

/** Linear layers 1-8 x 1-8. */
export const linearLayers = arbLinearLayer();

/** Conv layers: channels 1-8, kernels 1-3 (rectangular), stride 1-2, 4-sided padding 0-2, dilation 1-2, input 5-9. */
export const convLayers = arbConvLayer();

/**
 * A random whitening factor `L` (`p x p`, lower triangular, diagonal in [0.5, 1.5), Gaussian
 * entries below it of standard deviation `1 / sqrt(p)`): a correlated, well-conditioned Sigma.
 */
export function randomWhitening(p: number, seed: number): linalg.Matrix {
  const rng = new SeededRandom(seed);
  const l = linalg.zeros(p, p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < i; j++) l.data[i * p + j] = rng.normal() / Math.sqrt(p);
    l.data[i * p + i] = 0.5 + rng.next();
  }
  return l;
}

/** `‖(W - What) L‖ / ‖W L‖` with `W`, `What` the weights' row-major data viewed as `O x P`. */
export function sigmaError(w: ArrayLike<number>, approx: ArrayLike<number>, l: linalg.Matrix): number {
  const p = l.rows;
  const rows = w.length / p;
  const wm = linalg.matrix(rows, p, Float64Array.from(w));
  const d = linalg.sub(wm, linalg.matrix(rows, p, Float64Array.from(approx)));
  return linalg.norm(linalg.matmul(d, l)) / linalg.norm(linalg.matmul(wm, l));
}
