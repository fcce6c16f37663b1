import type { Budget, RankSelection, SelectionContext } from '@lowrank/core';
import { fitsBudget } from '@lowrank/core';
import { convLayer } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kappaBreakpoints, type LwiqSelection, lwiq, ranksAt, type ScoredLayer } from '../src/index.js';
import { budgets, context, engine, hundredths, scoredLayers, statisticsWithAccuracy } from './fixtures.js';

const decompositionNames = fc.constantFrom('svd', 'tucker2');

function fits(selection: RankSelection, budget: Budget): boolean {
  return fitsBudget(budget, selection.total.before, selection.total.after);
}

function scored(ctx: SelectionContext, selection: LwiqSelection, minRank: number): ScoredLayer[] {
  return ctx.layers.map(({ info }, l) => {
    const spec = ctx.decomposition.rankSpec(info);
    const floors = spec.max.map((max, k) => Math.min(max, Math.max(spec.min[k], minRank)));
    return { info, spec, floors, score: selection.scores[l].score };
  });
}

describe('lwiq select', () => {
  it('never exceeds the budget (exact counts), keeps ranks within [floor, bound], and the next kappa step would exceed it or every rank is at its bound', async () => {
    let solved = 0;
    await fc.assert(
      fc.asyncProperty(
        scoredLayers,
        decompositionNames,
        budgets,
        fc.constantFrom('accuracy', 'gain'),
        fc.integer({ min: 1, max: 2 }),
        async (layers, name, budget, score, minRank) => {
          const ctx = context(name, layers);
          let selection: LwiqSelection;
          try {
            selection = await lwiq({ score, minRank }).select(ctx, budget);
          } catch (error) {
            expect(String(error)).toMatch(/cannot be met/);
            expect(fits(await lwiq({ score, minRank, kappa: 0 }).select(ctx), budget)).toBe(false);
            return;
          }
          solved++;
          expect(fits(selection, budget)).toBe(true);
          const prepared = scored(ctx, selection, minRank);
          selection.layers.forEach((entry, l) => {
            expect(entry.name).toBe(layers[l].info.name);
            expect(entry.reason).toMatch(/^lwiq: proxy accuracy .* x kappa /);
            entry.ranks.forEach((r, k) => {
              expect(Number.isInteger(r)).toBe(true);
              expect(r).toBeGreaterThanOrEqual(prepared[l].floors[k]);
              expect(r).toBeLessThanOrEqual(prepared[l].spec.max[k]);
            });
          });
          const next = kappaBreakpoints(prepared).find((k) => k > selection.kappa);
          if (next === undefined) {
            selection.layers.forEach((e, l) => {
              if (prepared[l].score > 0) expect(e.ranks).toEqual([...prepared[l].spec.max]);
            });
          } else {
            expect(fits(await lwiq({ score, minRank, kappa: next }).select(ctx), budget)).toBe(false);
          }
        },
      ),
      { numRuns: 150, seed: 5 },
    );
    expect(solved).toBeGreaterThan(60);
  });

  it('gives every rank clip(round(kappa * score * bound), floor, bound), rounding half up (exact away from the steps)', () => {
    fc.assert(
      fc.property(
        // Integers scaled down: fast-check's doubles crowd near 0, where every rank is the floor.
        fc.integer({ min: 0, max: 1000 }).map((n) => n / 1000),
        fc.integer({ min: 0, max: 3000 }).map((n) => n / 1000),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 5 }),
        (score, kappa, max, floor) => {
          const floors = max.map((m) => Math.min(m, floor));
          const layer = {
            spec: { labels: max.map((_, k) => `r${k}`), max, min: max.map(() => 1) },
            floors,
            score,
          };
          const ranks = ranksAt(layer as unknown as ScoredLayer, kappa);
          max.forEach((m, k) => {
            const x = kappa * score * m;
            if (Math.abs(x - Math.round(x - 0.5) - 0.5) < 1e-9) return; // on a step: either side is right
            expect(ranks[k]).toBe(Math.min(m, Math.max(floors[k], Math.round(x))));
          });
        },
      ),
      { seed: 3, numRuns: 500 },
    );
  });

  it('gives a higher-scoring layer no smaller ranks than a lower-scoring one with equal bounds (exact)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 2, maxLength: 6 }),
        hundredths(105, 600),
        decompositionNames,
        async (accuracies, ratio, name) => {
          // Identical geometry for every layer: conv 12 -> 10, 3x3 on 8x8.
          const layers = accuracies.map((correct, k) => {
            const info = { ...convLayer('x', 10, 12, [3, 3], { inputSize: [8, 8] }), name: `layer${k}` };
            return { info, weight: engine.zeros(info.weightShape), correct };
          });
          const selection = await lwiq().select(context(name, layers), { kind: 'ratio', value: ratio });
          for (const a of selection.layers.keys()) {
            for (const b of selection.layers.keys()) {
              if (accuracies[a] <= accuracies[b]) continue;
              selection.layers[a].ranks.forEach((r, k) => {
                expect(r).toBeGreaterThanOrEqual(selection.layers[b].ranks[k]);
              });
            }
          }
        },
      ),
      { seed: 9, numRuns: 100 },
    );
  });

  it('is deterministic: the same statistics and budget give deep-equal selections, also from statistics saved as JSON', async () => {
    const [layers] = fc.sample(scoredLayers, { seed: 4, numRuns: 1 });
    const ctx = context('tucker2', layers);
    const budget: Budget = { kind: 'ratio', value: 2 };
    const first = await lwiq().select(ctx, budget);
    expect(await lwiq().select(ctx, budget)).toEqual(first);
    const saved = new Map([...(ctx.stats ?? [])].map(([k, v]) => [k, JSON.parse(JSON.stringify(v))]));
    expect(await lwiq().select({ ...ctx, stats: saved }, budget)).toEqual(first);
  });

  it("scores by accuracy, or by the gain over the layer's own input (not the previous layer called), negative gains as 0", async () => {
    // A residual block, in call order: c1 and c2 in series, the shortcut conv in parallel
    // with them on the block input (proxy accuracy 0.6), then the next block's c1 on the
    // block output (0.92). Call order and data flow differ for 'short' and 'next'.
    const made: [name: string, correct: number, inputCorrect: number][] = [
      ['c1', 700, 600],
      ['c2', 900, 700],
      ['short', 650, 600],
      ['next', 950, 920],
      ['worse', 500, 600],
    ];
    const info = convLayer('x', 8, 8, [3, 3], { inputSize: [6, 6] });
    const ctxOf = (order: typeof made): SelectionContext => ({
      engine,
      decomposition: context('svd', []).decomposition,
      layers: order.map(([name]) => ({ info: { ...info, name }, weight: engine.zeros(info.weightShape) })),
      stats: new Map(order.map(([name, c, i]) => [name, statisticsWithAccuracy(name, c, i)])),
    });
    const ctx = ctxOf(made);
    const byAccuracy = await lwiq({ kappa: 1 }).select(ctx);
    expect(byAccuracy.scores.map((s) => s.score)).toEqual([0.7, 0.9, 0.65, 0.95, 0.5]);
    const byGain = await lwiq({ score: 'gain', kappa: 10 }).select(ctx);
    const expected = [0.1, 0.2, 0.05, 0.03, 0];
    for (const [l, s] of byGain.scores.entries()) expect(s.score).toBeCloseTo(expected[l], 12);
    // The previous layer called as baseline would give 'short' 0 (0.65 - 0.9) and 'next' 0.3.
    expect(byGain.layers[2].ranks).toEqual([4]); // round(10 * 0.05 * 8), not the floor 1
    expect(byGain.layers[2].reason).toMatch(/gain 0\.0500 over its input \(0\.6000 -> 0\.6500\)/);
    expect(byGain.layers[4].reason).toMatch(/gain 0\.0000 over its input \(0\.6000 -> 0\.5000\)/);
    // Each layer's gain is its own: any order of the layers gives the same scores by name.
    const reversed = await lwiq({ score: 'gain', kappa: 10 }).select(ctxOf([...made].reverse()));
    expect([...reversed.scores].reverse()).toEqual(byGain.scores);
  });

  it('loads statistics saved without input statistics: accuracy scores as before, a clear error for gain', async () => {
    const info = { ...convLayer('x', 8, 8, [3, 3], { inputSize: [6, 6] }), name: 'conv' };
    const old = statisticsWithAccuracy('conv', 800).toJSON();
    expect(old).not.toHaveProperty('input');
    const ctx: SelectionContext = {
      engine,
      decomposition: context('svd', []).decomposition,
      layers: [{ info, weight: engine.zeros(info.weightShape) }],
      stats: new Map([['conv', old]]),
    };
    expect((await lwiq({ kappa: 1 }).select(ctx)).scores[0].score).toBe(0.8);
    await expect(lwiq({ score: 'gain', kappa: 1 }).select(ctx)).rejects.toThrow(
      /score 'gain' needs the proxy accuracy of the input of 'conv'.*collect them again.*or use score 'accuracy'/,
    );
  });
});

describe('lwiq errors', () => {
  it('says how to collect statistics when none were given, a layer has none, or none was evaluated', async () => {
    const info = { ...convLayer('x', 4, 4, [3, 3], { inputSize: [6, 6] }), name: 'conv' };
    const base = {
      engine,
      decomposition: context('svd', []).decomposition,
      layers: [{ info, weight: engine.zeros(info.weightShape) }],
    };
    const budget: Budget = { kind: 'ratio', value: 2 };
    await expect(lwiq().select(base, budget)).rejects.toThrow(
      /select needs the statistics.*collector\.statistics\(\)/,
    );
    await expect(lwiq().select({ ...base, stats: new Map() }, budget)).rejects.toThrow(
      /no statistics were collected for layer 'conv'/,
    );
    const imprintedOnly = statisticsWithAccuracy('conv', 0).toJSON();
    const unevaluated = { ...imprintedOnly, evaluated: 0, correct: 0 };
    await expect(lwiq().select({ ...base, stats: new Map([['conv', unevaluated]]) }, budget)).rejects.toThrow(
      /no sample of 'conv' was left to evaluate.*lower imprintSamples/,
    );
    await expect(lwiq().select({ ...base, stats: new Map([['conv', { some: 1 }]]) }, budget)).rejects.toThrow(
      /not LWIQ statistics/,
    );
  });

  it('refuses bad options and budgets, and asks for a budget or a kappa', async () => {
    expect(() => lwiq({ score: 'loss' as 'gain' })).toThrow(/unknown score 'loss'/);
    expect(() => lwiq({ imprintSamples: 0 })).toThrow(/imprintSamples must be a positive integer/);
    expect(() => lwiq({ minRank: 1.5 })).toThrow(/minRank/);
    expect(() => lwiq({ kappa: -1 })).toThrow(/kappa/);
    const [layers] = fc.sample(scoredLayers, { seed: 2, numRuns: 1 });
    const ctx = context('svd', layers);
    await expect(lwiq().select(ctx)).rejects.toThrow(/needs a budget, or a `kappa`/);
    await expect(lwiq().select(ctx, { kind: 'ratio', value: 0 })).rejects.toThrow(/positive number/);
    await expect(lwiq().select(ctx, { kind: 'ratio', value: 1e9 })).rejects.toThrow(/cannot be met/);
  });
});
