import { correctedBias, createEngine, linalg, square, sub, sum } from '@lowrank/core';
import { svd } from '@lowrank/svd';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SigmaStatistics, sigma, whitening } from '../src/index.js';
import { layerCases } from './arbitraries.js';

const engine = createEngine();
engine.use(sigma({ centred: true }));
const decomposition = svd();

describe('the centred Sigma norm with the mean error folded into the bias', () => {
  it('on the calibration data, sum_p ‖Δout_p‖² / count = ‖(W_mat - What_mat) L_c‖_F² once the bias takes (W - What) mu (rel. 1e-8), at any rank', async () => {
    await fc.assert(
      fc.asyncProperty(
        layerCases,
        fc.nat(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (layerCase, seed, t) => {
          const { module, info } = layerCase.build(engine);
          const p = info.inChannels * info.kernel[0] * info.kernel[1];
          const x = engine.randn([3 * p + 3, ...layerCase.sample], { dtype: 'float64', seed });
          const collector = sigma().collector([{ info, module }]);
          collector.attach();
          const dense = module.call(x);
          collector.detach();
          const stats = collector.statistics().get(info.name) as SigmaStatistics;
          const { metric, relativeJitter } = whitening(engine, info, stats, { centred: true });
          // Exact only for a nonsingular covariance (no padding-only taps, enough patches).
          fc.pre(relativeJitter === 0);
          expect(Array.from(metric.mean?.dataSync() ?? [])).toEqual(Array.from(stats.mean()));

          const rank = 1 + Math.floor(t * (decomposition.rankSpec(info).max[0] - 1));
          const factors = await decomposition.decompose(module.weight, info, [rank]);
          const what = decomposition.reconstruct(factors);
          const bias = correctedBias(metric, module.weight, what, module.bias, info);
          const small = decomposition.layer(factors, info, bias);
          const outputError =
            engine.tidy(() => sum(square(sub(dense, small.call(x)))).itemSync()) / stats.count;

          const o = info.outChannels;
          const w = linalg.matrix(o, p, module.weight.dataSync());
          const diff = linalg.sub(w, linalg.matrix(o, p, what.dataSync()));
          const l = await linalg.toMatrix(metric.factor);
          const metricError = linalg.norm(linalg.matmul(diff, l)) ** 2;
          const scale = linalg.norm(linalg.matmul(w, l)) ** 2 + 1;
          expect(Math.abs(outputError - metricError)).toBeLessThanOrEqual(1e-8 * scale);
          for (const tensor of [dense, x, what, bias, small]) tensor?.dispose();
        },
      ),
      { numRuns: 30 },
    );
  });

  it('leaves the bias as it is under other metrics and gives a bias-free layer one', () => {
    const w = engine.randn([3, 4], { dtype: 'float64', seed: 1 });
    const what = engine.zeros([3, 4], 'float64');
    const info = { name: 'fc' } as Parameters<typeof correctedBias>[4];
    const b = engine.ones([3], 'float64');
    expect(correctedBias({ kind: 'frobenius' }, w, what, b, info)).toBe(b);
    const mean = engine.fromData(new Float64Array([1, 0, 0, 2]), [4]);
    const factor = engine.zeros([4, 4], 'float64');
    const made = correctedBias({ kind: 'whitened', factor, mean }, w, what, null, info);
    const wd = w.dataSync();
    expect(Array.from(made?.dataSync() ?? [])).toEqual([0, 1, 2].map((r) => wd[r * 4] + 2 * wd[r * 4 + 3]));
    expect(() =>
      correctedBias({ kind: 'whitened', factor, mean: engine.zeros([5], 'float64') }, w, what, null, info),
    ).toThrow(/'fc'.*P = 4/);
  });
});
