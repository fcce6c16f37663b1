import { createEngine, type Tensor } from '@lowrank/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SigmaStatistics, sigma } from '../src/index.js';
import { layerCases, naivePatches } from './arbitraries.js';

const engine = createEngine();
const seeds = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const batchSizes = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 });

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function expectRelClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(maxAbs(expected), 1e-300);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst / scale).toBeLessThanOrEqual(tol);
}

describe('Sigma statistics', () => {
  it('streamed through forward hooks batch by batch, Sigma, mean, covariance and count equal the batch formula over all patches (rel. 1e-12)', () => {
    fc.assert(
      fc.property(layerCases, batchSizes, seeds, (layerCase, sizes, seed) => {
        const { module, info } = layerCase.build(engine);
        const collector = sigma().collector([{ info, module }]);
        collector.attach();
        const inputs: Tensor[] = sizes.map((n, k) =>
          engine.randn([n, ...layerCase.sample], { dtype: 'float64', seed: seed + k }),
        );
        for (const x of inputs) engine.tidy(() => module.call(x));
        collector.detach();
        engine.tidy(() => module.call(inputs[0])); // detached: not counted
        const stats = collector.statistics().get(info.name) as SigmaStatistics;

        const rows = inputs.flatMap((x) => naivePatches(info, x.dataSync(), x.shape));
        const p = rows[0].length;
        const moment = new Float64Array(p * p);
        const mean = new Float64Array(p);
        for (const row of rows) {
          for (let i = 0; i < p; i++) {
            mean[i] += row[i] / rows.length;
            for (let j = 0; j < p; j++) moment[i * p + j] += (row[i] * row[j]) / rows.length;
          }
        }
        const covariance = moment.map((v, k) => v - mean[Math.floor(k / p)] * mean[k % p]);
        expect(stats.count).toBe(rows.length);
        expect(stats.size).toBe(p);
        expectRelClose(stats.sigma().data, moment, 1e-12);
        expectRelClose(stats.mean(), mean, 1e-12);
        expectRelClose(stats.covariance().data, covariance, 1e-12);
        for (const x of inputs) x.dispose();
      }),
      { numRuns: 60 },
    );
  });

  it('toJSON / fromJSON (through a JSON string) round-trips count, Sigma and mean exactly', () => {
    fc.assert(
      fc.property(layerCases, seeds, (layerCase, seed) => {
        const { info } = layerCase.build(engine);
        const stats = new SigmaStatistics(info);
        const x = engine.randn([3, ...layerCase.sample], { dtype: 'float64', seed });
        stats.add(x);
        x.dispose();
        const loaded = SigmaStatistics.fromJSON(JSON.parse(JSON.stringify(stats)));
        expect(loaded.count).toBe(stats.count);
        expect(loaded.layer).toEqual(info);
        expect(Array.from(loaded.sigma().data)).toEqual(Array.from(stats.sigma().data));
        expect(Array.from(loaded.mean())).toEqual(Array.from(stats.mean()));
      }),
      { numRuns: 20 },
    );
  });

  it('errors name the layer: wrong input shape, no data, grouped conv, bad saved data, foreign statistics, unregistered plugin', async () => {
    const { nn, layerInfo } = await import('@lowrank/core');
    const conv = new nn.Conv2d(engine, 3, 4, 3, { dtype: 'float64' });
    const info = layerInfo('features.0', conv, [8, 8]);
    const stats = new SigmaStatistics(info);
    expect(() => stats.addData(new Float64Array(16), [1, 2, 2, 4])).toThrow(
      /'features\.0' expects inputs \[N, 3, H, W\], got \[1, 2, 2, 4\]/,
    );
    expect(() => stats.sigma()).toThrow(/no input of 'features\.0' was seen/);
    const grouped = layerInfo('features.1', new nn.Conv2d(engine, 4, 4, 3, { groups: 2 }), [8, 8]);
    expect(() => new SigmaStatistics(grouped)).toThrow(/'features\.1' is a grouped convolution/);
    expect(() => SigmaStatistics.fromJSON({ format: 'x' } as never)).toThrow(/not saved Sigma statistics/);
    expect(() => SigmaStatistics.fromJSON({ ...stats.toJSON(), sum: [1] })).toThrow(/'features\.0'.*P = 27/);

    const plugin = sigma();
    expect(() => plugin.metric(info, stats)).toThrow(/engine\.use\(sigma\(\)\)/);
    engine.use(plugin);
    expect(() => plugin.metric(info, { count: 1 })).toThrow(/'features\.0' are not SigmaStatistics/);
    const linear = layerInfo('fc', new nn.Linear(engine, 5, 2));
    expect(() => plugin.metric(linear, stats)).toThrow(/P = 27 \(from 'features\.0'\) do not fit 'fc'.*is 5/);
    const zero = new SigmaStatistics(linear);
    zero.addData(new Float64Array(10), [2, 5]);
    expect(() => plugin.metric(linear, zero)).toThrow(/'fc' stays singular/);
  });
});
