import { calibrate, concat, createEngine, type Engine, layerInfo, nn } from '@lowrank/core';
import { describe, expect, it } from 'vitest';
import { ActivationStatistics, activation } from '../src/index.js';

function smallModel(engine: Engine) {
  const conv = new nn.Conv2d(engine, 2, 3, 3, { stride: 2, padding: 1, dtype: 'float64' });
  const fc = new nn.Linear(engine, 27, 4, { dtype: 'float64' });
  const model = new nn.Sequential(engine, [conv, new nn.ReLU(engine), new nn.Flatten(engine), fc]);
  const layers = [
    { info: layerInfo('0', conv, [5, 5]), module: conv as nn.Module },
    { info: layerInfo('3', fc), module: fc as nn.Module },
  ];
  return { model, conv, fc, layers };
}

/** Mean |y_o| per channel of a layer output, computed directly from its values. */
function directMeanAbs(values: ArrayLike<number>, shape: readonly number[], channelAxis: number): number[] {
  const o = shape[channelAxis];
  const inner = shape.slice(channelAxis + 1).reduce((a, b) => a * b, 1);
  const sums = new Array(o).fill(0);
  for (let i = 0; i < values.length; i++) sums[Math.floor(i / inner) % o] += Math.abs(values[i]);
  return sums.map((s) => (s * o) / values.length);
}

describe('activation statistics', () => {
  it('streaming E|y_o| over batches equals the mean over all outputs at once (1e-12 relative)', async () => {
    const engine = createEngine({ seed: 1 });
    const { model, conv, fc, layers } = smallModel(engine);
    const inputs = [3, 5].map((n, b) => engine.randn([n, 2, 5, 5], { dtype: 'float64', seed: b }));
    const collector = activation().collector(layers);
    await calibrate(
      model,
      [collector],
      inputs.map((x) => ({ inputs: x })),
    );
    const stats = collector.statistics();
    const all = engine.noGrad(() =>
      engine.tidy(() => {
        const x = concat(inputs, 0);
        const y0 = conv.call(x);
        const y3 = fc.call(y0.relu().flatten(1));
        return [y0, y3];
      }),
    );
    const expected0 = directMeanAbs(await all[0].data(), all[0].shape, 1);
    const expected3 = directMeanAbs(await all[1].data(), all[1].shape, 1);
    const got0 = (stats.get('0') as ActivationStatistics).meanAbs();
    const got3 = (stats.get('3') as ActivationStatistics).meanAbs();
    for (const [o, v] of expected0.entries()) expect(Math.abs(got0[o] - v)).toBeLessThan(1e-12 * v);
    for (const [o, v] of expected3.entries()) expect(Math.abs(got3[o] - v)).toBeLessThan(1e-12 * v);
    expect((stats.get('0') as ActivationStatistics).count).toBe(8 * 9);
  });

  it('statistics() reads calls made outside calibrate, and JSON round-trips exactly', () => {
    const engine = createEngine({ seed: 2 });
    const { model, layers } = smallModel(engine);
    const collector = activation().collector(layers);
    collector.attach();
    engine.noGrad(() => engine.tidy(() => model.call(engine.randn([4, 2, 5, 5], { dtype: 'float64' }))));
    collector.detach();
    const stats = collector.statistics().get('3') as ActivationStatistics;
    expect(stats.count).toBe(4);
    const back = ActivationStatistics.fromJSON(JSON.parse(JSON.stringify(stats)));
    expect(Array.from(back.meanAbs())).toEqual(Array.from(stats.meanAbs()));
    expect(() => ActivationStatistics.fromJSON({ format: 'x' } as never)).toThrow(/not saved activation/);
  });

  it('metric: each output row constant at a_o / mean(a) (1e-12), shaped like W', async () => {
    const engine = createEngine({ seed: 3 });
    const { model, layers } = smallModel(engine);
    const norm = activation();
    engine.use(norm);
    const collector = norm.collector(layers);
    await calibrate(model, [collector], [{ inputs: engine.randn([6, 2, 5, 5], { dtype: 'float64' }) }]);
    const stats = collector.statistics().get('0') as ActivationStatistics;
    const metric = norm.metric(layers[0].info, stats);
    if (metric.kind !== 'weighted') throw new Error('expected a weighted metric');
    expect(metric.weights.shape).toEqual([3, 2, 3, 3]);
    const w = await metric.weights.data();
    const a = stats.meanAbs();
    const mean = a.reduce((x, y) => x + y, 0) / 3;
    for (let i = 0; i < w.length; i++)
      expect(Math.abs(w[i] - a[Math.floor(i / 18)] / mean)).toBeLessThan(1e-12);
  });

  it('clear errors: unregistered plugin, wrong statistics, nothing seen, wrong output shape', () => {
    const engine = createEngine({ seed: 4 });
    const { layers } = smallModel(engine);
    expect(() => activation().metric(layers[0].info, undefined)).toThrow(/engine\.use\(activation\(\)\)/);
    const norm = activation();
    engine.use(norm);
    expect(() => norm.metric(layers[0].info, {})).toThrow(/not ActivationStatistics/);
    expect(() => new ActivationStatistics(layers[1].info).meanAbs()).toThrow(/no output of '3'/);
    expect(() => new ActivationStatistics(layers[0].info).addData([1, 2], [2, 1])).toThrow(
      /'0' should output/,
    );
  });
});
