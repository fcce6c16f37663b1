import { createEngine, linalg, square, sub, sum } from '@lowrank/core';
import { svd } from '@lowrank/svd';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SigmaStatistics, sigma, whitening } from '../src/index.js';
import { layerCases } from './arbitraries.js';

const engine = createEngine();
const norm = sigma();
engine.use(norm);
const decomposition = svd();
const seeds = fc.integer({ min: 0, max: 2 ** 31 - 1 });

describe('the Sigma norm measures the output error', () => {
  it('on the calibration data, sum_p ‖(W - What) x_p‖² / count = ‖(W_mat - What_mat) L‖_F² for SVD-Sigma at any rank (rel. 1e-8), and SVD-Sigma beats SVD there', async () => {
    await fc.assert(
      fc.asyncProperty(
        layerCases,
        seeds,
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (layerCase, seed, t) => {
          const { module, info } = layerCase.build(engine);
          const p = info.inChannels * info.kernel[0] * info.kernel[1];
          const perSample =
            info.kind === 'linear'
              ? 1
              : (() => {
                  const probe = engine.zeros([1, ...layerCase.sample], 'float64');
                  const out = module.call(probe);
                  const n = out.shape[2] * out.shape[3];
                  probe.dispose();
                  out.dispose();
                  return n;
                })();
          // Enough patches (>= 3P) for a full-rank, well-conditioned Sigma: no jitter needed.
          const x = engine.randn([Math.ceil((3 * p + 3) / perSample), ...layerCase.sample], {
            dtype: 'float64',
            seed,
          });
          const collector = norm.collector([{ info, module }]);
          collector.attach();
          const dense = module.call(x);
          collector.detach();
          const stats = collector.statistics().get(info.name) as SigmaStatistics;
          const { metric, relativeJitter } = whitening(engine, info, stats);
          // The identity is exact only for a nonsingular Sigma. A kernel tap that lands on padding at
          // every output position (large padding with dilation and stride) makes a zero column in
          // every patch, so Sigma is singular whatever the data; such layers are out of scope here.
          fc.pre(relativeJitter === 0);

          const rank = 1 + Math.floor(t * (decomposition.rankSpec(info).max[0] - 1));
          const factors = await decomposition.decompose(module.weight, info, [rank], { metric });
          const small = decomposition.layer(factors, info, null);
          const outputError =
            engine.tidy(() => sum(square(sub(dense, small.call(x)))).itemSync()) / stats.count;

          const o = info.outChannels;
          const l = await linalg.toMatrix(metric.factor);
          const w = linalg.matrix(o, p, module.weight.dataSync());
          const what = decomposition.reconstruct(factors);
          const diff = linalg.sub(w, linalg.matrix(o, p, what.dataSync()));
          what.dispose();
          const metricError = linalg.norm(linalg.matmul(diff, l)) ** 2;
          const scale = linalg.norm(linalg.matmul(w, l)) ** 2;
          expect(Math.abs(outputError - metricError)).toBeLessThanOrEqual(1e-8 * scale);

          const plain = decomposition.layer(
            await decomposition.decompose(module.weight, info, [rank]),
            info,
            null,
          );
          const plainError =
            engine.tidy(() => sum(square(sub(dense, plain.call(x)))).itemSync()) / stats.count;
          expect(outputError).toBeLessThanOrEqual(plainError + 1e-9 * scale);
          dense.dispose();
          x.dispose();
        },
      ),
      { numRuns: 40 },
    );
  });
});
