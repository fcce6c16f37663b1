import { linalg } from '@lowrank/core';
import { randomNdArray } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpAls, cpToNdArray } from '../src/index.js';
import { randomLowRank, relativeDifference } from './helpers.js';

/** Shapes of linear weights (2-way) and conv kernels (4-way): channels 1-8, kernels 1-3. */
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

/** A random tensor, or a low-rank one plus noise (so that the error falls far but not to zero). */
const tensors = fc
  .record({ shape: shapes, seed: seeds, lowRank: fc.integer({ min: 0, max: 4 }) })
  .map(({ shape, seed, lowRank }) => {
    if (lowRank === 0) return randomNdArray(shape, seed);
    const x = randomLowRank(shape, lowRank, seed);
    const noise = randomNdArray(shape, seed + 1);
    const scale = (1e-3 * linalg.vecNorm(x.data)) / linalg.vecNorm(noise.data);
    return linalg.ndarray(
      shape,
      x.data.map((v, i) => v + scale * noise.data[i]),
    );
  });

function maxRise(errors: readonly number[]): number {
  let rise = 0;
  for (let i = 1; i < errors.length; i++) rise = Math.max(rise, errors[i] - errors[i - 1]);
  return rise;
}

describe('CP-ALS', () => {
  it('the error trace never increases (within 1e-7 * e0), with and without line search, from either init', () => {
    fc.assert(
      fc.property(
        tensors,
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        fc.constantFrom('svd' as const, 'random' as const),
        seeds,
        (x, rank, lineSearch, init, seed) => {
          const trace: number[] = [];
          const fit = cpAls(x, rank, {
            maxIterations: 60,
            tolerance: 0,
            lineSearch,
            init,
            seed,
            onIteration: (_i, e) => trace.push(e),
          });
          expect(trace).toEqual(fit.errors);
          expect(trace.length).toBeGreaterThan(0);
          expect(maxRise(trace)).toBeLessThanOrEqual(1e-7 * trace[0]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the cheap error formula equals the error of the explicit reconstruction (relative 1e-8, above its rounding floor 1e-13 / error)', () => {
    fc.assert(
      fc.property(
        shapes,
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        seeds,
        (shape, rank, lineSearch, seed) => {
          const x = randomNdArray(shape, seed);
          const fit = cpAls(x, rank, { maxIterations: 7, tolerance: 0, lineSearch, seed });
          const explicit = relativeDifference(x.data, cpToNdArray(fit).data);
          const cheap = fit.errors[fit.errors.length - 1];
          // The formula subtracts numbers of size ‖X‖^2, so it resolves the error to about eps / error.
          expect(Math.abs(cheap - explicit)).toBeLessThanOrEqual(1e-8 * explicit + 1e-13 / explicit);
        },
      ),
      { numRuns: 60 },
    );
  });

  // Gaussian factors (no orthogonalisation), fitted at one rank more than they have.
  const recoveryCases: [number[], number, number][] = [
    [[8, 7, 3, 3], 1, 1],
    [[8, 7, 3, 3], 2, 2],
    [[8, 7, 3, 3], 3, 3],
    [[6, 8, 3, 2], 2, 4],
    [[5, 5, 3, 3], 3, 5],
    [[8, 6, 2, 3], 3, 6],
    [[7, 5], 3, 7],
    [[12, 9], 5, 8],
  ];
  for (const lineSearch of [false, true]) {
    it(`a tensor of CP rank R is recovered at rank R + 1 (relative error < 1e-6, float64, at most 3000 sweeps${lineSearch ? ', line search' : ''})`, () => {
      for (const [shape, rank, seed] of recoveryCases) {
        const x = randomLowRank(shape, rank, seed);
        const fit = cpAls(x, rank + 1, { maxIterations: 3000, tolerance: 1e-15, lineSearch, seed });
        const err = relativeDifference(x.data, cpToNdArray(fit).data);
        expect(err, `shape ${shape} rank ${rank}`).toBeLessThan(1e-6);
      }
    });
  }

  it('the line search speeds a slow fit up (under half the sweeps to relative error 1e-6)', () => {
    const x = randomLowRank([7, 5, 3, 2], 3, 9);
    const sweepsTo = (lineSearch: boolean) =>
      cpAls(x, 3, { maxIterations: 3000, tolerance: 0, lineSearch }).errors.findIndex((e) => e < 1e-6) + 1;
    const plain = sweepsTo(false);
    const extrapolated = sweepsTo(true);
    expect(plain).toBeGreaterThan(100);
    expect(extrapolated).toBeGreaterThan(0);
    expect(extrapolated).toBeLessThan(plain / 2);
  });

  it('a linear weight (2-way) at rank R is fitted as well as its truncated SVD allows (Eckart-Young, relative 1e-9)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), seeds, (o, i, seed) => {
        const x = randomNdArray([o, i], seed);
        const rank = Math.max(1, Math.floor((o * i) / (o + i)));
        const fit = cpAls(x, rank, { seed });
        const { s } = linalg.svd(linalg.matrix(o, i, x.data));
        const tail = Math.sqrt(s.slice(rank).reduce((acc, v) => acc + v * v, 0)) / linalg.vecNorm(x.data);
        const err = relativeDifference(x.data, cpToNdArray(fit).data);
        expect(Math.abs(err - tail)).toBeLessThanOrEqual(1e-9);
      }),
      { numRuns: 40 },
    );
  });

  it('the random init is reproducible from its seed and differs between seeds', () => {
    const x = randomNdArray([5, 4, 3, 2], 9);
    const fitFrom = (seed: number) => cpAls(x, 4, { init: 'random', seed, maxIterations: 5 });
    expect(fitFrom(1).factors[1].data).toEqual(fitFrom(1).factors[1].data);
    expect(fitFrom(1).factors[1].data).not.toEqual(fitFrom(2).factors[1].data);
  });

  it('the zero tensor is fitted exactly by zero weights (relative error 0)', () => {
    const fit = cpAls(linalg.ndarray([3, 2, 2, 2]), 2);
    expect(Array.from(fit.lambda)).toEqual([0, 0]);
    expect(fit.errors).toEqual([0]);
    expect(cpToNdArray(fit).data.every((v) => v === 0)).toBe(true);
  });
});
