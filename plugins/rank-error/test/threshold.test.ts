import { FROBENIUS, factorTensors, linalg, relativeError, type SelectionContext } from '@lowrank/core';
import { linearLayer } from '@lowrank/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { error, rankPath, svdErrors } from '../src/index.js';
import { contexts, decompositions, engine, errorOf, ranksOf, whitenedMetric } from './fixtures.js';

const thresholds = fc.double({ min: 0.02, max: 0.95, noNaN: true });

describe('rank-error with a threshold', () => {
  it('meets its threshold on every layer (error measured apart, tolerance 1e-9), ranks within bounds on the path, and the step before exceeds the threshold', async () => {
    await fc.assert(
      fc.asyncProperty(contexts, thresholds, async (ctx, threshold) => {
        const selection = await error({ threshold }).select(ctx);
        expect(selection.threshold).toBe(threshold);
        for (const [j, entry] of selection.layers.entries()) {
          const { info, weight } = ctx.layers[j];
          const spec = ctx.decomposition.rankSpec(info);
          const path = rankPath(spec);
          const step = path.findIndex((r) => r.join() === entry.ranks.join());
          expect(step).toBeGreaterThanOrEqual(0);
          entry.ranks.forEach((r, k) => {
            expect(r).toBeGreaterThanOrEqual(spec.min[k]);
            expect(r).toBeLessThanOrEqual(spec.max[k]);
          });
          const measured = await errorOf(ctx.decomposition, weight, info, entry.ranks);
          expect(measured).toBeLessThanOrEqual(threshold + 1e-9);
          expect(selection.errors[info.name]).toBeCloseTo(measured, 9);
          if (step > 0) {
            expect(await errorOf(ctx.decomposition, weight, info, path[step - 1])).toBeGreaterThan(threshold);
          }
          expect(entry.reason).toMatch(
            /^error: Frobenius relative error \S+ <= threshold \S+ at step \d+ of \d+/,
          );
        }
      }),
      { numRuns: 40, seed: 61 },
    );
  });

  it('meets its threshold in the Sigma norm of context.metrics (whitened; SVD and Tucker2, tolerance 1e-9)', async () => {
    await fc.assert(
      fc.asyncProperty(contexts, thresholds, fc.nat(100), async (ctx, threshold, seed) => {
        const metrics = new Map(
          ctx.layers.map(({ info }, j) => [info.name, whitenedMetric(info.weightShape, seed + j)]),
        );
        const withSigma: SelectionContext = { ...ctx, metrics };
        const selector = error({ threshold, decompose: { refine: { iterations: 15 } } });
        const selection = await selector.select(withSigma);
        for (const [j, entry] of selection.layers.entries()) {
          const { info } = ctx.layers[j];
          expect(selection.errors[info.name]).toBeLessThanOrEqual(threshold);
          expect(entry.reason).toMatch(/Sigma \(whitened\) relative error/);
        }
        if (ctx.decomposition.name === 'svd') {
          for (const [j, entry] of selection.layers.entries()) {
            const { info, weight } = ctx.layers[j];
            const measured = await errorOf(
              ctx.decomposition,
              weight,
              info,
              entry.ranks,
              metrics.get(info.name),
            );
            expect(measured).toBeLessThanOrEqual(threshold + 1e-9);
          }
        }
      }),
      { numRuns: 15, seed: 62 },
    );
  });

  it("decomposeUnder 'frobenius' measures the Frobenius fit in the layer's Sigma norm: threshold met (measured apart, tolerance 1e-9) and never below the SVD-Sigma optimum (1e-12)", async () => {
    await fc.assert(
      fc.asyncProperty(contexts, thresholds, fc.nat(100), async (ctx, threshold, seed) => {
        const metrics = new Map(
          ctx.layers.map(({ info }, j) => [info.name, whitenedMetric(info.weightShape, seed + j)]),
        );
        const selection = await error({ threshold, decomposeUnder: 'frobenius' }).select({ ...ctx, metrics });
        for (const [j, entry] of selection.layers.entries()) {
          const { info, weight } = ctx.layers[j];
          const metric = metrics.get(info.name);
          const factors = await ctx.decomposition.decompose(weight, info, entry.ranks, { seed: 0 });
          const approx = ctx.decomposition.reconstruct(factors);
          const measured = await relativeError(metric ?? FROBENIUS, weight, approx, info);
          for (const t of [approx, ...factorTensors(factors)]) t.dispose();
          expect(measured).toBeLessThanOrEqual(threshold + 1e-9);
          expect(selection.errors[info.name]).toBeCloseTo(measured, 9);
          expect(entry.reason).toMatch(/Sigma \(whitened\) \(of the Frobenius fit\) relative error/);
          if (ctx.decomposition.name === 'svd') {
            const optimum = (await svdErrors(await linalg.toNdArray(weight), metric ?? FROBENIUS))[
              entry.ranks[0]
            ];
            expect(measured).toBeGreaterThanOrEqual(optimum - 1e-12);
          }
        }
      }),
      { numRuns: 15, seed: 67 },
    );
  });

  it('the SVD shortcut equals the measured error at every rank, Frobenius and whitened (relative 1e-9 plus 1e-12)', async () => {
    await fc.assert(
      fc.asyncProperty(contexts, fc.boolean(), fc.nat(100), async (ctx, whitened, seed) => {
        for (const { info, weight } of ctx.layers) {
          const metric = whitened ? whitenedMetric(info.weightShape, seed) : { kind: 'frobenius' as const };
          const curve = await svdErrors(await linalg.toNdArray(weight), metric);
          const max = decompositions.svd.rankSpec(info).max[0];
          expect(curve.length).toBe(max + 1);
          for (let r = 1; r <= max; r++) {
            const measured = await errorOf(decompositions.svd, weight, info, [r], metric);
            expect(Math.abs(curve[r] - measured)).toBeLessThanOrEqual(1e-9 * measured + 1e-12);
          }
        }
      }),
      { numRuns: 20, seed: 63 },
    );
  });

  it('is monotone in the threshold: a larger threshold never raises a rank (exact)', async () => {
    await fc.assert(
      fc.asyncProperty(contexts, thresholds, thresholds, async (ctx, a, b) => {
        const [small, large] = a < b ? [a, b] : [b, a];
        const tight = ranksOf(await error({ threshold: small }).select(ctx));
        const loose = ranksOf(await error({ threshold: large }).select(ctx));
        for (const [j, ranks] of loose.entries()) {
          for (const [k, r] of ranks.entries()) expect(r).toBeLessThanOrEqual(tight[j][k]);
        }
      }),
      { numRuns: 30, seed: 64 },
    );
  });

  it('is deterministic: two fresh selectors give deep-equal selections (exact)', async () => {
    await fc.assert(
      fc.asyncProperty(contexts, thresholds, async (ctx, threshold) => {
        const [first, second] = [error({ threshold }), error({ threshold })];
        expect([first.kind, first.name]).toEqual(['rank', 'error']);
        expect(await first.select(ctx)).toEqual(await second.select(ctx));
      }),
      { numRuns: 10, seed: 65 },
    );
  });

  it('rankPath runs from the minimum ranks to the bounds, every step raising at least one rank and lowering none', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 }), (max) => {
        const path = rankPath({ labels: max.map((_, k) => `r${k}`), min: max.map(() => 1), max });
        expect(path[0]).toEqual(max.map(() => 1));
        expect(path[path.length - 1]).toEqual(max);
        for (let s = 1; s < path.length; s++) {
          for (const [k, r] of path[s].entries()) expect(r).toBeGreaterThanOrEqual(path[s - 1][k]);
          expect(path[s].some((r, k) => r > path[s - 1][k])).toBe(true);
        }
      }),
      { seed: 66 },
    );
  });

  it('refuses a bad threshold, seed or decomposeUnder and NaN weights, naming the layer', async () => {
    expect(() => error({ threshold: -0.1 })).toThrow(
      /threshold must be a non-negative number \(a relative error\), got -0.1/,
    );
    expect(() => error({ threshold: Number.NaN })).toThrow(/threshold must be a non-negative number/);
    expect(() => error({ seed: 0.5 })).toThrow(/seed must be an integer, got 0.5/);
    expect(() => error({ decomposeUnder: 'sigma' as 'metric' })).toThrow(
      /decomposeUnder must be 'metric' or 'frobenius', got 'sigma'/,
    );
    const info = linearLayer('fc3', 3, 4);
    const nan = engine.fromData(new Float64Array(12).fill(Number.NaN), [3, 4]);
    const ctx: SelectionContext = {
      engine,
      decomposition: decompositions.svd,
      layers: [{ info, weight: nan }],
    };
    await expect(error().select(ctx)).rejects.toThrow(/rank-error: layer 'fc3' has NaN or Inf weights/);
  });
});
