import { type Engine, type LayerInfo, linalg, SeededRandom } from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import * as fc from 'fast-check';
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

export function randomTensor(shape: readonly number[], seed: number): linalg.NdArray {
  const rng = new SeededRandom(seed);
  const size = shape.reduce((p, s) => p * s, 1);
  return linalg.ndarray(
    shape,
    Float64Array.from({ length: size }, () => rng.normal()),
  );
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

export function disposeFactors(f: CpFactors): void {
  f.lambda.dispose();
  for (const t of f.factors) t.dispose();
}

/** Linear layers 1-8 x 1-8. */
export const linearLayers: fc.Arbitrary<LayerInfo> = fc
  .tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), fc.boolean())
  .map(([o, i, bias]) => linearLayer('classifier.fc', o, i, bias));

const pairOf = (min: number, max: number) =>
  fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })) as fc.Arbitrary<[number, number]>;

/** Conv layers: channels 1-8, kernels 1-3 (rectangular), stride 1-2, 4-sided padding 0-2, dilation 1-2, input 5-9. */
export const convLayers: fc.Arbitrary<LayerInfo> = fc
  .record({
    o: fc.integer({ min: 1, max: 8 }),
    i: fc.integer({ min: 1, max: 8 }),
    kernel: pairOf(1, 3),
    stride: pairOf(1, 2),
    padding: fc.tuple(
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 2 }),
    ),
    dilation: pairOf(1, 2),
    inputSize: pairOf(5, 9),
    bias: fc.boolean(),
  })
  .map(({ o, i, kernel, ...extra }) => convLayer('features.conv', o, i, kernel, extra));

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
