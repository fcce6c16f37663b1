import type { Budget, SelectionContext } from '@lowrank/core';
import { linearLayer } from '@lowrank/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ErrorSelection, error, rankPath } from '../src/index.js';
import { budgets, contexts, decompositions, engine, meets, ranksOf } from './fixtures.js';

describe('rank-error with a budget', () => {
  it('never exceeds the budget (exact integer counts), reproduces its selection at the solved threshold, and one threshold below its largest error (relative 1e-9) misses the budget (within one step)', async () => {
    let solved = 0;
    await fc.assert(
      fc.asyncProperty(contexts, budgets, async (ctx, budget) => {
        let selection: ErrorSelection;
        try {
          selection = await error().select(ctx, budget);
        } catch (e) {
          expect(String(e)).toMatch(/cannot be met/);
          const minimum = ctx.layers.map(({ info }) => rankPath(ctx.decomposition.rankSpec(info))[0]);
          const cheapest = await error({ threshold: 1e9 }).select(ctx);
          expect(ranksOf(cheapest)).toEqual(minimum);
          expect(meets(budget, cheapest)).toBe(false);
          return;
        }
        solved++;
        expect(meets(budget, selection)).toBe(true);
        const again = await error({ threshold: selection.threshold }).select(ctx);
        expect(ranksOf(again)).toEqual(ranksOf(selection));
        const largest = Math.max(...Object.values(selection.errors));
        const allAtBounds = selection.layers.every((entry, j) =>
          entry.ranks.every((r, k) => r === ctx.decomposition.rankSpec(ctx.layers[j].info).max[k]),
        );
        if (!allAtBounds) {
          const below = await error({ threshold: largest * (1 - 1e-9) }).select(ctx);
          expect(meets(budget, below)).toBe(false);
        }
        for (const entry of selection.layers)
          expect(entry.reason).toMatch(/threshold \S+ solved by bisection for the budget/);
      }),
      { numRuns: 30, seed: 71 },
    );
    expect(solved).toBeGreaterThan(8);
  });

  it('the solved threshold is non-decreasing in the ratio budget (exact)', async () => {
    await fc.assert(
      fc.asyncProperty(
        contexts,
        fc.double({ min: 1, max: 3, noNaN: true }),
        fc.double({ min: 1, max: 3, noNaN: true }),
        async (ctx, a, b) => {
          const [low, high] = a < b ? [a, b] : [b, a];
          const selector = error();
          const loose = await selector.select(ctx, { kind: 'ratio', value: low }).catch(() => null);
          const tight = await selector.select(ctx, { kind: 'ratio', value: high }).catch(() => null);
          if (tight === null) return;
          expect(loose).not.toBeNull();
          expect(tight.threshold).toBeGreaterThanOrEqual(loose?.threshold ?? Number.NaN);
        },
      ),
      { numRuns: 20, seed: 72 },
    );
  });

  it('refuses a malformed budget and one that cannot be met, saying what is wrong', async () => {
    const ctx: SelectionContext = {
      engine,
      decomposition: decompositions.svd,
      layers: [
        { info: linearLayer('fc1', 8, 6), weight: engine.randn([8, 6], { seed: 1, dtype: 'float64' }) },
      ],
    };
    await expect(error().select(ctx, { kind: 'ratio', value: Number.NaN })).rejects.toThrow(
      /rank-error: the ratio budget must be a positive number, got NaN/,
    );
    await expect(error().select(ctx, { kind: 'bits', value: 2 } as unknown as Budget)).rejects.toThrow(
      /unknown budget kind 'bits'/,
    );
    await expect(error().select(ctx, { kind: 'params', value: 5 })).rejects.toThrow(
      /rank-error: the budget \(at most 5 params over the selected layers\) cannot be met: at threshold \S+ \(the largest error at the minimum ranks\)/,
    );
  });
});
