import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  analyseUnfoldings,
  createEngine,
  type DecompositionPlugin,
  lastFitting,
  layerInfo,
  linalg,
  nn,
  type RankSpec,
  rankUnfoldings,
  type SelectionContext,
} from '../src/index.js';

describe('analyseUnfoldings', () => {
  const engine = createEngine({ seed: 3 });
  const conv = new nn.Conv2d(engine, 3, 4, 3);
  const fc1 = new nn.Linear(engine, 6, 5);
  const layers = [
    { info: layerInfo('conv', conv, [8, 8]), weight: conv.weight },
    { info: layerInfo('fc', fc1), weight: fc1.weight },
  ];
  /** A decomposition with `count` ranks per layer, bounds 1..2. */
  const withRanks = (count: number): DecompositionPlugin =>
    ({
      rankSpec: (): RankSpec => ({
        labels: Array.from({ length: count }, (_, k) => `r${k}`),
        max: Array(count).fill(2),
        min: Array(count).fill(1),
      }),
    }) as unknown as DecompositionPlugin;
  const context = (count: number): SelectionContext => ({
    engine,
    decomposition: withRanks(count),
    layers,
  });

  it("gives each layer's spec and, per rank, rankUnfoldings' label with the analysis of its matrix (exact)", async () => {
    for (const count of [1, 2, 3]) {
      const analysed = await analyseUnfoldings(context(count), 'test', (m) => linalg.norm(m));
      expect(analysed.map((l) => l.info.name)).toEqual(['conv', 'fc']);
      for (const [j, layer] of analysed.entries()) {
        expect(layer.spec).toEqual(withRanks(count).rankSpec(layers[j].info));
        const expected = rankUnfoldings(await linalg.toNdArray(layers[j].weight), layer.spec);
        expect(layer.unfoldings).toEqual(
          expected.map(({ label, matrix }) => ({ label, analysis: linalg.norm(matrix) })),
        );
      }
    }
  });

  it('analyses a matrix shared by several ranks once', async () => {
    // Five ranks on a 4-axis conv weight and on a linear weight: W_mat for every rank.
    let calls = 0;
    const analysed = await analyseUnfoldings(context(5), 'test', () => ++calls);
    expect(calls).toBe(2);
    expect(analysed.map((l) => l.unfoldings.map((u) => u.analysis))).toEqual([
      [1, 1, 1, 1, 1],
      [2, 2, 2, 2, 2],
    ]);
  });

  it('names the selector and the layer when a weight has NaN or Inf', async () => {
    const bad = new nn.Linear(engine, 2, 2);
    bad.weight.copyFrom(engine.tensor([1, Number.NaN, 0, 1], [2, 2]));
    const ctx = { ...context(1), layers: [{ info: layerInfo('bad', bad), weight: bad.weight }] };
    await expect(analyseUnfoldings(ctx, 'my-selector', () => 0)).rejects.toThrow(
      "my-selector: layer 'bad' has NaN or Inf weights",
    );
  });
});

describe('lastFitting', () => {
  it('finds the last index of a fitting prefix in at most ceil(log2(count)) probes, none at 0 or out of range (exact)', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 300 })
          .chain((count) =>
            fc.record({ count: fc.constant(count), last: fc.integer({ min: 0, max: count - 1 }) }),
          ),
        ({ count, last }) => {
          const probes: number[] = [];
          const found = lastFitting(count, (k) => {
            probes.push(k);
            return k <= last;
          });
          expect(found).toBe(last);
          expect(probes.length).toBeLessThanOrEqual(Math.ceil(Math.log2(count)));
          expect(probes.every((k) => k > 0 && k < count)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
