import {
  type CalibrationBatch,
  calibrate,
  createEngine,
  crossEntropy,
  type Engine,
  layerInfo,
  nn,
  slice,
  type Tensor,
} from '@lowrank/core';
import { describe, expect, it } from 'vitest';
import { FisherStatistics, fisher } from '../src/index.js';

/** A float64 conv -> relu -> flatten -> linear model and its two calibrated layers. */
function smallModel(engine: Engine) {
  const conv = new nn.Conv2d(engine, 2, 3, 3, { stride: 2, padding: 1, dtype: 'float64' });
  const fc = new nn.Linear(engine, 3 * 3 * 3, 4, { dtype: 'float64' });
  const model = new nn.Sequential(engine, [conv, new nn.ReLU(engine), new nn.Flatten(engine), fc]);
  const layers = [
    { info: layerInfo('0', conv, [5, 5]), module: conv as nn.Module },
    { info: layerInfo('3', fc), module: fc as nn.Module },
  ];
  return { model, conv, fc, layers };
}

function batchesOf(engine: Engine, sizes: number[]): CalibrationBatch[] {
  return sizes.map((n, b) => ({
    inputs: engine.randn([n, 2, 5, 5], { dtype: 'float64', seed: 10 + b }),
    labels: engine.fromData(
      Int32Array.from({ length: n }, (_, i) => (i * 3 + b) % 4),
      [n],
    ),
  }));
}

/** The batch formula: E over groups of `group` samples of (d mean-loss / dW)^2, each group run alone. */
async function directFisher(model: nn.Module, weights: Tensor[], data: CalibrationBatch[], group: number) {
  const engine = model.engine;
  model.eval();
  const sums = weights.map((w) => new Float64Array(w.size));
  let count = 0;
  for (const batch of data) {
    for (let start = 0; start < batch.inputs.shape[0]; start += group) {
      const stop = Math.min(batch.inputs.shape[0], start + group);
      const grads = engine.tidy(() => {
        const x = slice(batch.inputs, [[start, stop]]);
        const y = slice(batch.labels as Tensor, [[start, stop]]);
        return engine.gradients(crossEntropy(model.call(x), y), weights);
      });
      for (const [k, g] of grads.entries()) {
        const v = await g.data();
        v.forEach((x, i) => {
          sums[k][i] += x * x;
        });
        g.dispose();
      }
      count++;
    }
  }
  return sums.map((s) => s.map((v) => v / count));
}

function maxRelativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
  return diff / scale;
}

describe('Fisher statistics', () => {
  for (const microBatch of [1, 2]) {
    it(`streaming F with microBatch ${microBatch} equals the batch formula (1e-12 relative)`, async () => {
      const engine = createEngine({ seed: 3 });
      const { model, conv, fc, layers } = smallModel(engine);
      const data = batchesOf(engine, [4, 2, 6]);
      const collector = fisher({ microBatch }).collector(layers);
      await calibrate(model, [collector], data);
      const stats = collector.statistics();
      const expected = await directFisher(model, [conv.weight, fc.weight], data, microBatch);
      const convStats = stats.get('0') as FisherStatistics;
      const fcStats = stats.get('3') as FisherStatistics;
      expect(convStats.count).toBe(12 / microBatch);
      expect(convStats.samples).toBe(12);
      expect(maxRelativeDiff(convStats.fisher(), expected[0])).toBeLessThan(1e-12);
      expect(maxRelativeDiff(fcStats.fisher(), expected[1])).toBeLessThan(1e-12);
    });
  }

  it('round-trips through JSON exactly and refuses foreign JSON', async () => {
    const engine = createEngine({ seed: 4 });
    const { model, layers } = smallModel(engine);
    const collector = fisher().collector(layers);
    await calibrate(model, [collector], batchesOf(engine, [3]));
    const stats = collector.statistics().get('3') as FisherStatistics;
    const back = FisherStatistics.fromJSON(JSON.parse(JSON.stringify(stats)));
    expect(Array.from(back.fisher())).toEqual(Array.from(stats.fisher()));
    expect(back.count).toBe(stats.count);
    expect(() => FisherStatistics.fromJSON({ format: 'other' } as never)).toThrow(/not saved Fisher/);
  });

  it('metric: weights shaped like W with mean 1 (1e-12), on the registered engine', async () => {
    const engine = createEngine({ seed: 5 });
    const { model, layers } = smallModel(engine);
    const norm = fisher();
    engine.use(norm);
    const collector = norm.collector(layers);
    await calibrate(model, [collector], batchesOf(engine, [5]));
    const metric = norm.metric(layers[0].info, collector.statistics().get('0'));
    if (metric.kind !== 'weighted') throw new Error('expected a weighted metric');
    expect(metric.weights.shape).toEqual([3, 2, 3, 3]);
    const w = Array.from(await metric.weights.data());
    expect(Math.abs(w.reduce((a, b) => a + b, 0) / w.length - 1)).toBeLessThan(1e-12);
  });

  it('clear errors: no labels, unregistered plugin, wrong statistics, no data', async () => {
    const engine = createEngine({ seed: 6 });
    const { model, layers } = smallModel(engine);
    const collector = fisher().collector(layers);
    await expect(
      calibrate(model, [collector], [{ inputs: engine.randn([2, 2, 5, 5], { dtype: 'float64' }) }]),
    ).rejects.toThrow(/no labels/);
    expect(() => fisher().metric(layers[0].info, undefined)).toThrow(/engine\.use\(fisher\(\)\)/);
    const norm = fisher();
    engine.use(norm);
    expect(() => norm.metric(layers[0].info, {})).toThrow(/not FisherStatistics/);
    expect(() => new FisherStatistics(layers[0].info).fisher()).toThrow(/no gradient of '0'/);
    expect(() => fisher({ microBatch: 0 }).collector(layers)).toThrow(/microBatch/);
  });
});
