import type { CalibrationBatch, Engine, nn } from '@lowrank/core';
import { describe, expect, it } from 'vitest';
import {
  calibrateLayers,
  Distillation,
  type DistilledLayer,
  decomposeLayers,
  fineTune,
  replaceLayers,
  selectLayers,
  selectRanks,
} from '../src/index.js';
import { lenet, randomBatches, testEngine } from './helpers.js';

/** LeNet-5 with conv2, fc1 and fc2 factorized by the pipeline's steps, and the dense layers kept. */
async function compressedByStep(engine: Engine) {
  const model = lenet(engine);
  const { layers } = selectLayers(engine, model, { decomposition: { conv: 'tucker2', linear: 'svd' } });
  const { inputSizes } = await calibrateLayers(model, layers, { data: randomBatches(engine, 1, 4, 1) });
  const ranked = layers.map((l) => ({
    ...l,
    info: { ...l.info, inputSize: inputSizes.get(l.name) },
    weight: l.module.weight,
  }));
  const selection = await selectRanks(engine, ranked, {
    ranks: { explicit: { conv2: [4, 3], fc1: 6, fc2: 6 } },
    rest: { params: 0, flops: 0 },
  });
  const decomposed = await decomposeLayers(ranked, selection);
  const originals = replaceLayers(model, new Map(decomposed.map((d) => [d.name, d.replacement!])));
  const distilled: DistilledLayer[] = ranked.map((l) => ({
    info: l.info,
    original: originals.get(l.name) as nn.Conv2d | nn.Linear,
    replacement: model.getModule(l.name),
  }));
  return { model, distilled };
}

/** `L_diss` (weights + outputs) of the model on one batch. */
function distillationLoss(model: nn.Module, layers: DistilledLayer[], batch: CalibrationBatch): number {
  const engine = model.engine;
  const d = new Distillation(layers);
  d.attach();
  try {
    return engine.noGrad(() =>
      engine.tidy(() => {
        model.call(batch.inputs);
        return d.outputs().add(d.weights()).itemSync();
      }),
    );
  } finally {
    d.detach();
  }
}

describe('fineTune', () => {
  const lossAfter = async (lambda: number) => {
    const engine = testEngine(1);
    const { model, distilled } = await compressedByStep(engine);
    const probe = randomBatches(engine, 1, 16, 50)[0];
    const before = distillationLoss(model, distilled, probe);
    const result = await fineTune(model, distilled, {
      data: randomBatches(engine, 4, 16, 20),
      epochs: 3,
      lambda,
      lr: 0.005,
      seed: 0,
    });
    return { before, after: distillationLoss(model, distilled, probe), result };
  };

  it('with lambda > 0 lowers the distillation loss on held-out data, below a run with lambda = 0', async () => {
    const distilled = await lossAfter(1);
    const plain = await lossAfter(0);
    expect(distilled.before).toBeCloseTo(plain.before, 10);
    expect(distilled.after).toBeLessThan(distilled.before);
    expect(distilled.after).toBeLessThan(plain.after);
    const epochs = distilled.result.epochs;
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(epochs[2].distillation).toBeLessThan(epochs[0].distillation);
    for (const e of epochs) {
      expect(e.distillation).toBeCloseTo(e.weightDistance + e.outputDistance, 6);
      expect(e.loss).toBeCloseTo(e.crossEntropy + e.distillation, 4);
    }
    // lambda = 0 trains on cross-entropy alone.
    for (const e of plain.result.epochs) expect(e.distillation).toBe(0);
  });

  it('refuses a used-up generator for a second epoch and bad settings, naming what to pass', async () => {
    const engine = testEngine();
    const { model, distilled } = await compressedByStep(engine);
    function* once() {
      yield* randomBatches(engine, 1, 4, 3);
    }
    const data = once();
    await expect(fineTune(model, distilled, { data, epochs: 2 })).rejects.toThrow(/epoch 2 had no batches/);
    await expect(fineTune(model, distilled, { data: [], epochs: 0 })).rejects.toThrow(/epochs must be/);
    await expect(
      fineTune(model, distilled, { data: () => randomBatches(engine, 1, 4, 3), schedule: 'cosine' }),
    ).rejects.toThrow(/batchesPerEpoch/);
  });
});
