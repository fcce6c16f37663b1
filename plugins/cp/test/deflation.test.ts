import { linalg } from '@lowrank/core';
import { randomNdArray } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpDeflation, cpToNdArray } from '../src/index.js';
import { randomLowRank, relativeDifference, wellConditionedModel } from './helpers.js';

const shapes = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 })),
  fc.tuple(
    fc.integer({ min: 1, max: 8 }),
    fc.integer({ min: 1, max: 8 }),
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 1, max: 3 }),
  ),
);
const seeds = fc.integer({ min: 0, max: 2 ** 31 - 1 });

describe('greedy deflation', () => {
  it('each term removes lambda_r^2 from the squared residual (relative 1e-9), so the trace never increases', () => {
    fc.assert(
      fc.property(shapes, fc.integer({ min: 1, max: 5 }), seeds, (shape, rank, seed) => {
        const x = randomNdArray(shape, seed);
        const normX2 = linalg.vecNorm(x.data) ** 2;
        const trace: number[] = [];
        const fit = cpDeflation(x, rank, { seed, onIteration: (_t, e) => trace.push(e) });
        expect(trace).toEqual(fit.errors);
        expect(trace.length).toBe(rank);
        let before = normX2;
        trace.forEach((e, r) => {
          const after = e * e * normX2;
          expect(Math.abs(before - after - fit.lambda[r] ** 2)).toBeLessThanOrEqual(1e-9 * normX2);
          expect(after).toBeLessThanOrEqual(before);
          before = after;
        });
        expect(relativeDifference(x.data, cpToNdArray(fit).data)).toBeCloseTo(trace[rank - 1], 10);
      }),
      { numRuns: 40 },
    );
  });

  it('a rank-1 tensor is recovered by one term (relative error < 1e-9)', () => {
    fc.assert(
      fc.property(shapes, seeds, (shape, seed) => {
        const x = randomLowRank(shape, 1, seed);
        const fit = cpDeflation(x, 1, { seed, tolerance: 1e-14 });
        expect(relativeDifference(x.data, cpToNdArray(fit).data)).toBeLessThan(1e-9);
      }),
      { numRuns: 40 },
    );
  });

  it('a tensor with orthonormal factors and distinct weights is recovered term by term (relative error < 1e-6)', () => {
    for (const [shape, rank, seed] of [
      [[8, 7, 3, 3], 3, 1],
      [[6, 6, 3, 3], 3, 2],
      [[8, 5], 4, 3],
    ] as [number[], number, number][]) {
      const x = cpToNdArray(wellConditionedModel(shape, rank, seed));
      const fit = cpDeflation(x, rank, { seed, tolerance: 1e-15, maxIterations: 500 });
      expect(relativeDifference(x.data, cpToNdArray(fit).data), `${shape}`).toBeLessThan(1e-6);
    }
  });
});
