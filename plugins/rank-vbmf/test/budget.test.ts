import {
  type Budget,
  createEngine,
  type DecompositionPlugin,
  type RankSelection,
  SeededRandom,
  type SelectionContext,
} from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import { cp } from '@lowrank/cp';
import { svd } from '@lowrank/svd';
import { tucker2 } from '@lowrank/tucker2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rankVbmf, ratioSteps } from '../src/index.js';

const engine = createEngine();
const decompositions: Record<string, DecompositionPlugin> = {
  svd: svd() as DecompositionPlugin,
  tucker2: tucker2() as DecompositionPlugin,
  cp: cp() as DecompositionPlugin,
};
const channels = fc.integer({ min: 2, max: 12 });
const layerInfos = fc.oneof(
  fc.record({ o: channels, i: channels }).map(({ o, i }) => linearLayer('fc', o, i)),
  fc
    .record({ o: channels, i: channels, k: fc.integer({ min: 1, max: 3 }) })
    .map(({ o, i, k }) => convLayer('conv', o, i, [k, k], { inputSize: [6, 6] })),
);

/** A weight of rank 2 as `O x rest` plus small noise, so EVBMF finds ranks below the bounds. */
function weightOf(shape: readonly number[], seed: number) {
  const rng = new SeededRandom(seed);
  const [o, rest] = [shape[0], shape.slice(1).reduce((p, d) => p * d, 1)];
  const a = Array.from({ length: o * 2 }, () => rng.normal());
  const b = Array.from({ length: 2 * rest }, () => rng.normal());
  const data = new Float64Array(o * rest);
  for (let r = 0; r < o; r++) {
    for (let c = 0; c < rest; c++)
      data[r * rest + c] = a[2 * r] * b[c] + a[2 * r + 1] * b[rest + c] + 0.05 * rng.normal();
  }
  return engine.fromData(data, shape);
}

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
        weight: weightOf(info.weightShape, seed + j),
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

const ranksOf = (s: RankSelection) => s.layers.map((l) => l.ranks);

describe('rank-vbmf with a budget', () => {
  it('meets the budget (exact integer counts), reproduces its selection at the solved ratio, and every smaller ratio either gives the same ranks or misses the budget (within one step)', async () => {
    let solved = 0;
    await fc.assert(
      fc.asyncProperty(contexts, budgets, fc.integer({ min: 1, max: 2 }), async (ctx, budget, minRank) => {
        let selection: Awaited<ReturnType<ReturnType<typeof rankVbmf>['select']>>;
        try {
          selection = await rankVbmf({ minRank }).select(ctx, budget);
        } catch (error) {
          expect(String(error)).toMatch(/cannot be met/);
          expect(meets(budget, await rankVbmf({ ratio: 1, minRank }).select(ctx))).toBe(false);
          return;
        }
        solved++;
        expect(meets(budget, selection)).toBe(true);
        expect(selection.ratio).toBeGreaterThanOrEqual(0);
        expect(selection.ratio).toBeLessThanOrEqual(1);
        const again = await rankVbmf({ ratio: selection.ratio, minRank }).select(ctx);
        expect(ranksOf(again)).toEqual(ranksOf(selection));
        for (let k = 0; k < 40; k++) {
          const below = await rankVbmf({ ratio: (selection.ratio * k) / 40, minRank }).select(ctx);
          if (meets(budget, below)) expect(ranksOf(below)).toEqual(ranksOf(selection));
        }
        for (const entry of selection.layers) {
          expect(entry.reason).toContain(`VBMF ratio ${selection.ratio.toPrecision(6)} solved by bisection`);
        }
      }),
      { numRuns: 40, seed: 41 },
    );
    expect(solved).toBeGreaterThan(10);
  });

  it('the solved ratio is non-decreasing in the ratio budget (exact)', async () => {
    await fc.assert(
      fc.asyncProperty(
        contexts,
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        async (ctx, a, b) => {
          const [low, high] = a < b ? [a, b] : [b, a];
          const loose = await rankVbmf()
            .select(ctx, { kind: 'ratio', value: low })
            .catch(() => null);
          const tight = await rankVbmf()
            .select(ctx, { kind: 'ratio', value: high })
            .catch(() => null);
          if (tight === null) return;
          expect(loose).not.toBeNull();
          expect(tight.ratio).toBeGreaterThanOrEqual(loose?.ratio ?? Number.NaN);
          expect(tight.total.after.params).toBeLessThanOrEqual(loose?.total.after.params ?? Number.NaN);
        },
      ),
      { numRuns: 30, seed: 42 },
    );
  });

  it('ratioSteps: one ratio per interval where no (bound-capped) rank changes, increasing in [0, 1], each rounding away from a tie by more than 1e-9', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ max: fc.integer({ min: 1, max: 40 }), vbmf: fc.integer({ min: 0, max: 40 }) }), {
          minLength: 1,
          maxLength: 5,
        }),
        (ends) => {
          const steps = ratioSteps(ends);
          expect(steps[0]).toBe(0);
          for (let i = 1; i < steps.length; i++) expect(steps[i]).toBeGreaterThan(steps[i - 1]);
          expect(steps[steps.length - 1]).toBeLessThanOrEqual(1);
          // The selector caps ranks at the bound, so an EVBMF rank above it changes nothing.
          const ranks = (a: number) =>
            ends.map(({ max, vbmf }) => Math.min(max, Math.round((1 - a) * max + a * vbmf)));
          for (const a of steps) {
            for (const { max, vbmf } of ends.filter((e) => e.vbmf < e.max)) {
              const x = (1 - a) * max + a * vbmf;
              expect(Math.abs(x - Math.floor(x) - 0.5)).toBeGreaterThan(1e-9);
            }
          }
          // Consecutive steps differ in some rank; a fine grid (shifted off the rounding ties,
          // which sit at least 3e-5 from any grid point k/400) meets no selection outside them.
          const seen = new Set(steps.map((a) => ranks(a).join()));
          expect(seen.size).toBe(steps.length);
          for (let k = 0; k < 400; k++) expect(seen.has(ranks(k / 400 + 1e-7).join())).toBe(true);
        },
      ),
      { seed: 43 },
    );
  });

  it('refuses a malformed budget and one that cannot be met, saying what is wrong', async () => {
    const ctx: SelectionContext = {
      engine,
      decomposition: decompositions.svd,
      layers: [{ info: linearLayer('fc1', 8, 6), weight: weightOf([8, 6], 1) }],
    };
    await expect(rankVbmf().select(ctx, { kind: 'ratio', value: 0 })).rejects.toThrow(
      /rank-vbmf: the ratio budget must be a positive number, got 0/,
    );
    await expect(
      rankVbmf().select(ctx, { kind: 'ratio', value: 2, scope: 'model' } as Budget),
    ).rejects.toThrow(/scope 'model' needs `rest`/);
    await expect(rankVbmf().select(ctx, { kind: 'params', value: 5 })).rejects.toThrow(
      /rank-vbmf: the budget \(at most 5 params over the selected layers\) cannot be met: at VBMF ratio 1/,
    );
  });
});
