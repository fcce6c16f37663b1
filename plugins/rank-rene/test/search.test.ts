import { createEngine, type Engine, layerInfo, nn } from '@lowrank/core';
import { tucker2 } from '@lowrank/tucker2';
import { describe, expect, it } from 'vitest';
import { type ReneProgress, rene, reneSearch } from '../src/index.js';

/** A small conv net (conv 3x3 -> relu -> conv 3x3 stride 2 -> flatten -> linear) and 2 batches of data. */
function setup(seed = 0) {
  const engine = createEngine({ seed });
  const model = new nn.Sequential(engine, [
    new nn.Conv2d(engine, 2, 12, 3, { padding: 1 }),
    new nn.ReLU(engine),
    new nn.Conv2d(engine, 12, 16, 3, { stride: 2, padding: 1 }),
    new nn.Flatten(engine),
    new nn.Linear(engine, 16 * 3 * 3, 4),
  ]);
  const validation = [0, 1].map((k) => ({
    inputs: engine.randn([8, 2, 6, 6], { seed: 10 + k }),
    labels: engine.tensor(
      Array.from({ length: 8 }, (_, i) => (i + k) % 4),
      [8],
      'int32',
    ),
  }));
  return { engine, model, validation };
}

const FAST = {
  interval: 4,
  factor: 4,
  warmupSteps: 2,
  searchSteps: 4,
  logitLr: 0.2,
  decomposeOptions: { maxIterations: 5 },
};

async function search(
  engine: Engine,
  model: nn.Module,
  validation: ReturnType<typeof setup>['validation'],
  extra = {},
) {
  return reneSearch(engine, model, {
    ...FAST,
    decomposition: tucker2(),
    layers: ['0', '2'],
    validation,
    ...extra,
  });
}

describe('reneSearch', () => {
  it('narrows stage by stage around the previous argmax and reports the final p', async () => {
    const { engine, model, validation } = setup();
    const progress: ReneProgress[] = [];
    const s = await search(engine, model, validation, { onProgress: (p: ReneProgress) => progress.push(p) });
    expect(s.layers.map((l) => l.name)).toEqual(['0', '2']);
    for (const layer of s.search) {
      expect(layer.stages.map((st) => st.interval)).toEqual([4, 1]);
      const [first, second] = layer.stages;
      // Stage 2 searches [r - 2, r + 2] around stage 1's winner, within [1, bound].
      for (const c of second.candidates) expect(Math.abs(c - first.chosen)).toBeLessThanOrEqual(2);
      expect(second.candidates).toContain(first.chosen);
      for (const st of layer.stages) {
        expect(st.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
        expect(st.chosen).toBe(st.candidates[st.probabilities.indexOf(Math.max(...st.probabilities))]);
      }
      expect(layer.searched).toBe(second.chosen);
    }
    expect(s.layers[0].reason).toMatch(/^rene: p = \[/);
    // 2 stages x (2 warm-up + 4 search) steps.
    expect(progress).toHaveLength(12);
    expect(progress.every((p) => Number.isFinite(p.rankLoss) && Number.isFinite(p.weightError))).toBe(true);
    // The model is left with its original layers.
    expect(model.getModule('0')).toBeInstanceOf(nn.Conv2d);
    expect(model.getModule('2')).toBeInstanceOf(nn.Conv2d);
  });

  it('is deterministic: two runs from the same seed give the same ranks and probabilities', async () => {
    const a = setup(1);
    const b = setup(1);
    const sa = await search(a.engine, a.model, a.validation);
    const sb = await search(b.engine, b.model, b.validation);
    expect(sb.search).toEqual(sa.search);
    expect(sb.layers).toEqual(sa.layers);
  });

  it('meets a budget by one common scale of the searched ranks, and says so in the reason', async () => {
    const { engine, model, validation } = setup();
    const s = await search(engine, model, validation, { budget: { kind: 'ratio', value: 3 } });
    expect(s.scale).not.toBeNull();
    expect(s.total.after.params * 3).toBeLessThanOrEqual(s.total.before.params);
    expect(s.layers[1].reason).toMatch(/scaled by .* to meet the budget/);
  });

  it('works as a RankSelectorPlugin with the model and data in its options', async () => {
    const { engine, model, validation } = setup();
    const decomposition = tucker2();
    const direct = await search(engine, model, validation);
    const sizes: Record<string, [number, number]> = { '0': [6, 6], '2': [6, 6] };
    const layers = ['0', '2'].map((name) => {
      const module = model.getModule(name) as nn.Conv2d;
      return { info: layerInfo(name, module, sizes[name]), weight: module.weight };
    });
    const selected = await rene({ model, validation, ...FAST }).select({ engine, decomposition, layers });
    expect(selected.layers.map((l) => l.ranks)).toEqual(direct.layers.map((l) => l.ranks));
    expect(selected.total).toEqual(direct.total);
  });

  it('errors name the layer or setting: empty candidates, out-of-range candidate, non-conv layer, bad factor', async () => {
    const { engine, model, validation } = setup();
    await expect(search(engine, model, validation, { candidates: { '2': [] } })).rejects.toThrow(
      /layer '2' has an empty candidate set/,
    );
    await expect(search(engine, model, validation, { candidates: { '0': [13] } })).rejects.toThrow(
      /candidate 13 of layer '0' must be an integer in \[1, 12\]/,
    );
    await expect(search(engine, model, validation, { layers: ['1'] })).rejects.toThrow(/layer '1' is a ReLU/);
    await expect(search(engine, model, validation, { factor: 1 })).rejects.toThrow(
      /factor must be greater than 1/,
    );
    await expect(search(engine, model, validation, { validation: [] })).rejects.toThrow(
      /no validation batches/,
    );
  });
});
