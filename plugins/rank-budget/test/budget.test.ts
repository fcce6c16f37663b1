import { linearLayer } from '@lowrank/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rankBudget } from '../src/index.js';
import { budgets, context, engine, fitsAt, layerLists } from './fixtures.js';

const decompositionNames = fc.constantFrom('svd', 'tucker2', 'cp');

describe('rank-budget', () => {
  it('never exceeds the budget (exact integer counts, no tolerance), ranks within [floor, bound], and one more step of f by any layer would exceed it or every rank is at its bound', async () => {
    let solved = 0;
    await fc.assert(
      fc.asyncProperty(
        layerLists,
        decompositionNames,
        budgets,
        fc.integer({ min: 1, max: 2 }),
        async (layers, name, budget, minRank) => {
          const ctx = context(name, layers);
          const floors = layers.map(({ info }) => {
            const spec = ctx.decomposition.rankSpec(info);
            return spec.max.map((max, k) => Math.min(max, Math.max(spec.min[k], minRank)));
          });
          let selection: Awaited<ReturnType<ReturnType<typeof rankBudget>['select']>>;
          try {
            selection = await rankBudget({ minRank }).select(ctx, budget);
          } catch (error) {
            expect(String(error)).toMatch(/cannot be met/);
            expect(fitsAt(ctx, floors, 0, 1, budget)).toBe(false);
            return;
          }
          solved++;
          const { total } = selection;
          const sum = (key: 'cost' | 'dense', c: 'params' | 'flops') =>
            selection.layers.reduce((a, e) => a + e[key][c], 0);
          expect(total.after).toEqual({ params: sum('cost', 'params'), flops: sum('cost', 'flops') });
          expect(total.before).toEqual({ params: sum('dense', 'params'), flops: sum('dense', 'flops') });
          const rest = budget.scope === 'model' ? budget.rest : { params: 0, flops: 0 };
          if (budget.kind === 'params')
            expect(total.after.params + rest.params).toBeLessThanOrEqual(budget.value);
          if (budget.kind === 'ratio')
            expect((total.after.params + rest.params) * budget.value).toBeLessThanOrEqual(
              total.before.params + rest.params,
            );
          if (budget.kind === 'flops-reduction')
            expect((total.after.flops + rest.flops) * budget.value).toBeLessThanOrEqual(
              total.before.flops + rest.flops,
            );

          const specs = layers.map(({ info }) => ctx.decomposition.rankSpec(info));
          selection.layers.forEach((entry, j) => {
            expect(entry.name).toBe(layers[j].info.name);
            entry.ranks.forEach((r, k) => {
              expect(Number.isInteger(r)).toBe(true);
              expect(r).toBeGreaterThanOrEqual(floors[j][k]);
              expect(r).toBeLessThanOrEqual(specs[j].max[k]);
            });
            expect(entry.reason).toMatch(/^budget: fraction/);
            expect(entry.keptDense).toBe(entry.cost === entry.dense);
          });

          // The next fraction at which any rank steps up: k / max just above f.
          let next: [number, number] | null = null;
          for (const spec of specs) {
            for (const max of spec.max) {
              const k = Math.floor(selection.fraction * max + 1e-9) + 1;
              if (k <= max && (next === null || k * next[1] < next[0] * max)) next = [k, max];
            }
          }
          if (next === null) {
            for (const [j, e] of selection.layers.entries()) expect(e.ranks).toEqual([...specs[j].max]);
          } else {
            expect(fitsAt(ctx, floors, next[0], next[1], budget)).toBe(false);
          }
        },
      ),
      { numRuns: 150, seed: 7 },
    );
    expect(solved).toBeGreaterThan(75);
  });

  it('is deterministic: the same context and budget give deep-equal selections (exact)', async () => {
    await fc.assert(
      fc.asyncProperty(layerLists, decompositionNames, budgets, async (layers, name, budget) => {
        const run = () =>
          rankBudget()
            .select(context(name, layers), budget)
            .catch((e: Error) => e.message);
        expect(await run()).toEqual(await run());
      }),
      { numRuns: 40, seed: 11 },
    );
  });

  it('keeps a layer dense and says so when factorizing at its ranks is not smaller (exact params)', async () => {
    // A 2x2 linear layer: any SVD rank costs at least as much as the dense weight.
    const info = linearLayer('fc', 2, 2, false);
    const ctx = context('svd', [{ info, weight: engine.zeros(info.weightShape) }]);
    const selection = await rankBudget({ fraction: 1 }).select(ctx);
    expect(selection.layers[0].keptDense).toBe(true);
    expect(selection.layers[0].reason).toMatch(/kept dense/);
    expect(selection.layers[0].cost).toEqual(selection.layers[0].dense);
  });

  it('honours per-layer minimum ranks: ranks at least the floor given for the layer (exact)', async () => {
    const [layers] = fc.sample(layerLists, { numRuns: 1, seed: 3 });
    const ctx = context('tucker2', layers);
    const spec = ctx.decomposition.rankSpec(layers[0].info);
    const floor = spec.max.map((m) => Math.max(1, Math.ceil(m / 2)));
    const selection = await rankBudget({ minRanks: { [layers[0].info.name]: floor }, fraction: 0 }).select(
      ctx,
    );
    expect(selection.layers[0].ranks).toEqual(floor);
    expect(selection.layers[0].reason).toMatch(/at the minimum rank/);
  });
});
