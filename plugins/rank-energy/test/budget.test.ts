import {
  type Budget,
  createEngine,
  type DecompositionPlugin,
  linalg,
  type RankSelection,
  rankUnfoldings,
  type SelectionContext,
} from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import { cp } from '@lowrank/cp';
import { svd } from '@lowrank/svd';
import { tucker2 } from '@lowrank/tucker2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rankEnergy } from '../src/index.js';

const engine = createEngine();
const decompositions: Record<string, DecompositionPlugin> = {
  svd: svd() as DecompositionPlugin,
  tucker2: tucker2() as DecompositionPlugin,
  cp: cp() as DecompositionPlugin,
};
const channels = fc.integer({ min: 1, max: 10 });
const layerInfos = fc.oneof(
  fc.record({ o: channels, i: channels }).map(({ o, i }) => linearLayer('fc', o, i)),
  fc
    .record({ o: channels, i: channels, k: fc.integer({ min: 1, max: 3 }) })
    .map(({ o, i, k }) => convLayer('conv', o, i, [k, k], { inputSize: [6, 6] })),
);
const contexts = fc
  .record({
    infos: fc.array(layerInfos, { minLength: 1, maxLength: 3 }),
    name: fc.constantFrom('svd', 'tucker2', 'cp'),
    seed: fc.nat(1000),
  })
  .map(
    ({ infos, name, seed }): SelectionContext => ({
      engine,
      decomposition: decompositions[name],
      layers: infos.map((info, j) => ({
        info: { ...info, name: `layer${j}` },
        weight: engine.randn(info.weightShape, { dtype: 'float64', seed: seed + j }),
      })),
    }),
  );
const budgets: fc.Arbitrary<Budget> = fc.oneof(
  fc.record({ kind: fc.constant('ratio' as const), value: fc.double({ min: 1, max: 5, noNaN: true }) }),
  fc.record({
    kind: fc.constant('flops-reduction' as const),
    value: fc.double({ min: 1, max: 4, noNaN: true }),
  }),
  fc.record({ kind: fc.constant('params' as const), value: fc.integer({ min: 1, max: 1500 }) }),
  fc.record({
    kind: fc.constant('ratio' as const),
    value: fc.double({ min: 1, max: 3, noNaN: true }),
    scope: fc.constant('model' as const),
    rest: fc.record({ params: fc.nat(300), flops: fc.nat(3000) }),
  }),
);

/** Whether a selection's totals meet the budget: an oracle written apart from the selector. */
function meets(budget: Budget, { total }: RankSelection): boolean {
  const rest = budget.scope === 'model' ? budget.rest : { params: 0, flops: 0 };
  const [before, after] = [total.before, total.after];
  if (budget.kind === 'params') return after.params + rest.params <= budget.value;
  if (budget.kind === 'ratio')
    return (after.params + rest.params) * budget.value <= before.params + rest.params;
  return (after.flops + rest.flops) * budget.value <= before.flops + rest.flops;
}

/** Every fraction at which some energy rank steps: cumulative shares of each unfolding's spectrum. */
async function shares(ctx: SelectionContext): Promise<number[]> {
  const all: number[] = [];
  for (const { info, weight } of ctx.layers) {
    const unfoldings = rankUnfoldings(await linalg.toNdArray(weight), ctx.decomposition.rankSpec(info));
    for (const { matrix } of unfoldings) {
      const s = linalg.svd(matrix).s;
      const total = s.reduce((a, v) => a + v * v, 0);
      let part = 0;
      for (const v of s) {
        part += v * v;
        all.push(part / total);
      }
    }
  }
  return all;
}

const ranksOf = (s: RankSelection) => s.layers.map((l) => l.ranks);

describe('rank-energy with a budget', () => {
  it('meets the budget (exact integer counts), reproduces its selection at the solved fraction, and every larger step fraction either gives the same ranks or misses the budget (within one step)', async () => {
    let solved = 0;
    await fc.assert(
      fc.asyncProperty(contexts, budgets, async (ctx, budget) => {
        let selection: Awaited<ReturnType<ReturnType<typeof rankEnergy>['select']>>;
        const candidates = await shares(ctx);
        try {
          selection = await rankEnergy().select(ctx, budget);
        } catch (error) {
          expect(String(error)).toMatch(/cannot be met/);
          const smallest = Math.min(...candidates);
          expect(meets(budget, await rankEnergy({ fraction: smallest }).select(ctx))).toBe(false);
          return;
        }
        solved++;
        expect(meets(budget, selection)).toBe(true);
        expect(selection.fraction).toBeGreaterThan(0);
        expect(selection.fraction).toBeLessThanOrEqual(1);
        const again = await rankEnergy({ fraction: selection.fraction }).select(ctx);
        expect(ranksOf(again)).toEqual(ranksOf(selection));
        for (const f of candidates.filter((c) => c > selection.fraction && c <= 1)) {
          const above = await rankEnergy({ fraction: f }).select(ctx);
          if (meets(budget, above)) expect(ranksOf(above)).toEqual(ranksOf(selection));
        }
        for (const entry of selection.layers) {
          expect(entry.reason).toContain(
            `energy fraction ${selection.fraction.toPrecision(6)} solved by bisection`,
          );
        }
      }),
      { numRuns: 40, seed: 21 },
    );
    expect(solved).toBeGreaterThan(10);
  });

  it('the solved fraction is non-increasing in the ratio budget (exact)', async () => {
    await fc.assert(
      fc.asyncProperty(
        contexts,
        fc.double({ min: 1, max: 2.5, noNaN: true }),
        fc.double({ min: 1, max: 2.5, noNaN: true }),
        async (ctx, a, b) => {
          const [low, high] = a < b ? [a, b] : [b, a];
          const selector = rankEnergy();
          const loose = await selector.select(ctx, { kind: 'ratio', value: low }).catch(() => null);
          const tight = await selector.select(ctx, { kind: 'ratio', value: high }).catch(() => null);
          if (tight === null) return;
          expect(loose).not.toBeNull();
          expect(tight.fraction).toBeLessThanOrEqual(loose?.fraction ?? Number.NaN);
          expect(tight.total.after.params).toBeLessThanOrEqual(loose?.total.after.params ?? Number.NaN);
        },
      ),
      { numRuns: 30, seed: 22 },
    );
  });

  it('is deterministic with a budget: two selections are deep-equal (exact)', async () => {
    await fc.assert(
      fc.asyncProperty(contexts, async (ctx) => {
        const budget: Budget = { kind: 'ratio', value: 1.5 };
        const first = await rankEnergy()
          .select(ctx, budget)
          .catch((e: Error) => e.message);
        expect(
          await rankEnergy()
            .select(ctx, budget)
            .catch((e: Error) => e.message),
        ).toEqual(first);
      }),
      { numRuns: 10, seed: 23 },
    );
  });

  it('refuses a malformed budget and one that cannot be met, saying what is wrong', async () => {
    const ctx: SelectionContext = {
      engine,
      decomposition: decompositions.svd,
      layers: [{ info: linearLayer('fc1', 8, 6), weight: engine.randn([8, 6], { seed: 1 }) }],
    };
    await expect(rankEnergy().select(ctx, { kind: 'ratio', value: -2 })).rejects.toThrow(
      /rank-energy: the ratio budget must be a positive number, got -2/,
    );
    await expect(rankEnergy().select(ctx, { kind: 'bytes', value: 2 } as unknown as Budget)).rejects.toThrow(
      /unknown budget kind 'bytes'/,
    );
    await expect(rankEnergy().select(ctx, { kind: 'params', value: 5 })).rejects.toThrow(
      /rank-energy: the budget \(at most 5 params over the selected layers\) cannot be met: at the smallest energy fraction/,
    );
  });
});
