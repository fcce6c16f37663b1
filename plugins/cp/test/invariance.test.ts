import { createEngine, linalg } from '@lowrank/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CpModel, cp, cpNormSquared, cpToNdArray, normalizeInPlace } from '../src/index.js';
import { disposeFactors, factorsOf, randomCpModel } from './helpers.js';

const engine = createEngine();
const plugin = cp();

/** A CP model of a linear weight or a conv kernel with random (not normalised) factors and weights. */
const models = fc
  .record({
    shape: fc.oneof(
      fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 })),
      fc.tuple(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
      ),
    ),
    rank: fc.integer({ min: 1, max: 6 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map(({ shape, rank, seed }) => {
    const m = randomCpModel(shape, rank, seed);
    m.lambda = m.lambda.map((_, r) => 0.5 + r);
    return m;
  });

/**
 * `sum_r |lambda_r| prod_n ‖a^n_r‖`, which bounds the norm of every partial sum of the
 * terms: the scale rounding errors are relative to, however much the terms cancel.
 */
function termScale(m: CpModel): number {
  return m.lambda.reduce(
    (s, l, r) =>
      s + Math.abs(l) * m.factors.reduce((p, f) => p * linalg.vecNorm(f.data, r, f.rows, f.cols), 1),
    0,
  );
}

/** `‖x - y‖` relative to the terms' scale. */
function difference(x: ArrayLike<number>, y: ArrayLike<number>, m: CpModel): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - y[i]) ** 2;
  return Math.sqrt(s) / termScale(m);
}

/** Reconstructs through the plugin (tensor ops), as float64 values. */
function reconstruct(m: CpModel): Float64Array {
  const f = factorsOf(engine, m);
  const w = plugin.reconstruct(f);
  const values = Float64Array.from(w.dataSync());
  w.dispose();
  disposeFactors(f);
  return values;
}

describe('CP model invariances (ALGORITHMS.md property 6)', () => {
  it('the plugin reconstruction equals the float64 one, X_(0) = A diag(lambda) KR(others)^T (1e-14 of the scale of the terms)', () => {
    fc.assert(
      fc.property(models, (m) => {
        expect(difference(cpToNdArray(m).data, reconstruct(m), m)).toBeLessThan(1e-14);
      }),
    );
  });

  it('normalising the columns into lambda leaves the reconstruction unchanged (1e-14 of the scale of the terms) and the columns unit', () => {
    fc.assert(
      fc.property(models, (m) => {
        const before = reconstruct(m);
        const n = normalizeInPlace({
          lambda: m.lambda.slice(),
          factors: m.factors.map((f) => linalg.clone(f)),
        });
        for (const f of n.factors) {
          for (let j = 0; j < f.cols; j++)
            expect(linalg.vecNorm(f.data, j, f.rows, f.cols)).toBeCloseTo(1, 14);
        }
        expect(difference(before, reconstruct(n), m)).toBeLessThan(1e-14);
      }),
    );
  });

  it('flipping the sign of one column in two factors leaves the reconstruction unchanged (1e-15 of the scale of the terms)', () => {
    fc.assert(
      fc.property(models, fc.nat(), fc.nat(), fc.nat(), (m, col, first, second) => {
        const before = reconstruct(m);
        const modes = m.factors.length;
        const p = first % modes;
        const q = (p + 1 + (second % (modes - 1))) % modes;
        const r = col % m.lambda.length;
        const flipped = m.factors.map((f, n) => {
          const g = linalg.clone(f);
          if (n === p || n === q) for (let i = 0; i < g.rows; i++) g.data[i * g.cols + r] *= -1;
          return g;
        });
        expect(difference(before, reconstruct({ lambda: m.lambda, factors: flipped }), m)).toBeLessThan(
          1e-15,
        );
      }),
    );
  });

  it('permuting the components (columns and weights together) leaves the reconstruction unchanged (1e-14 of the scale of the terms)', () => {
    fc.assert(
      fc.property(
        models.chain((m) =>
          fc.tuple(fc.constant(m), fc.shuffledSubarray([...m.lambda.keys()], { minLength: m.lambda.length })),
        ),
        ([m, order]) => {
          const permuted: CpModel = {
            lambda: Float64Array.from(order, (r) => m.lambda[r]),
            factors: m.factors.map((f) => {
              const g = linalg.zeros(f.rows, f.cols);
              for (let i = 0; i < f.rows; i++)
                order.forEach((r, j) => {
                  g.data[i * f.cols + j] = f.data[i * f.cols + r];
                });
              return g;
            }),
          };
          expect(difference(reconstruct(m), reconstruct(permuted), m)).toBeLessThan(1e-14);
        },
      ),
    );
  });

  it('the squared norm from the factors, lambda^T (Hadamard of Grams) lambda, equals the dense one (1e-14 of the squared scale of the terms)', () => {
    fc.assert(
      fc.property(models, (m) => {
        const dense = linalg.vecNorm(cpToNdArray(m).data) ** 2;
        expect(Math.abs(cpNormSquared(m) - dense)).toBeLessThanOrEqual(1e-14 * termScale(m) ** 2);
      }),
    );
  });
});
