import {
  createEngine,
  decomposeWithMetric,
  type Engine,
  FROBENIUS,
  type LayerInfo,
  layerInfo,
  linalg,
  type Metric,
  nn,
  relativeError,
  SeededRandom,
  type Tensor,
} from '@lowrank/core';
import { describe, expect, it } from 'vitest';
import { type TrFactors, tr } from '../src/index.js';

/**
 * A whitening factor `L` (`L L^T = Sigma`) of inputs with strongly unequal, correlated
 * features: `Sigma = X^T X / n` for `X = Z M`, `M` random with decaying column scales.
 */
function correlatedWhitening(engine: Engine, p: number, seed: number): Tensor {
  const rng = new SeededRandom(seed);
  const n = 4 * p;
  const m = linalg.matrix(
    p,
    p,
    Float64Array.from({ length: p * p }, (_, i) => rng.normal() * 0.6 ** (i % p)),
  );
  const z = linalg.matrix(
    n,
    p,
    Float64Array.from({ length: n * p }, () => rng.normal()),
  );
  const x = linalg.matmul(z, m);
  const sigma = linalg.gram(x);
  for (let i = 0; i < sigma.data.length; i++) sigma.data[i] /= n;
  return linalg.fromMatrix(engine, linalg.cholesky(sigma, { jitter: true }).L, 'float64');
}

async function sigmaError(
  plugin: ReturnType<typeof tr>,
  f: TrFactors,
  metric: Metric,
  w: Tensor,
  info: LayerInfo,
) {
  const approx = plugin.reconstruct(f);
  try {
    return await relativeError(metric, w, approx, info);
  } finally {
    approx.dispose();
  }
}

const cases = [
  { label: 'TR-FC linear 16 x 12', build: (e: Engine) => new nn.Linear(e, 12, 16), rank: 2 },
  {
    label: 'ring conv 8 x 6 x 3 x 3',
    build: (e: Engine) => new nn.Conv2d(e, 6, 8, 3, { padding: 1 }),
    rank: 2,
  },
];

describe('TR under the whitened (Sigma) metric through decomposeWithMetric', () => {
  for (const { label, build, rank } of cases) {
    it(`${label}: with L = I, no refinement gives TR-ALS exactly and refinement ends no worse in Frobenius`, async () => {
      const engine = createEngine({ seed: 1 });
      const module = build(engine) as nn.Linear | nn.Conv2d;
      const info = layerInfo('layer', module, [6, 6]);
      const plugin = tr();
      const ranks = plugin.rankSpec(info).max.map((m) => Math.min(m, rank));
      const p = info.weightShape.slice(1).reduce((a, b) => a * b, 1);
      const metric: Metric = { kind: 'whitened', factor: engine.eye(p, p, 'float64') };
      const base = plugin.reconstruct(await plugin.decompose(module.weight, info, ranks));
      const unrefined = plugin.reconstruct(
        await decomposeWithMetric(plugin, module.weight, info, ranks, { metric, refine: false }),
      );
      expect(Array.from(await unrefined.data())).toEqual(Array.from(await base.data()));
      const refined = plugin.reconstruct(
        await decomposeWithMetric(plugin, module.weight, info, ranks, { metric, refine: { iterations: 30 } }),
      );
      const before = await relativeError(FROBENIUS, module.weight, base);
      const after = await relativeError(FROBENIUS, module.weight, refined);
      // TR-ALS stops at a local optimum, so the identity metric (= Frobenius) may still improve.
      expect(after).toBeLessThanOrEqual(before);
      expect(Math.abs((await relativeError(metric, module.weight, refined)) - after)).toBeLessThan(1e-12);
    });

    it(`${label}: a non-trivial Sigma error ends below TR-ALS's (by > 30%), never above`, async () => {
      const engine = createEngine({ seed: 2 });
      const module = build(engine) as nn.Linear | nn.Conv2d;
      const info = layerInfo('layer', module, [6, 6]);
      const plugin = tr();
      const ranks = plugin.rankSpec(info).max.map((m) => Math.min(m, rank));
      const p = info.weightShape.slice(1).reduce((a, b) => a * b, 1);
      const metric: Metric = { kind: 'whitened', factor: correlatedWhitening(engine, p, 3) };
      const start = await sigmaError(
        plugin,
        await plugin.decompose(module.weight, info, ranks),
        metric,
        module.weight,
        info,
      );
      const trace: number[] = [];
      const refined = await decomposeWithMetric(plugin, module.weight, info, ranks, {
        metric,
        refine: { iterations: 200 },
        onIteration: (_i, e) => trace.push(e),
      });
      const end = await sigmaError(plugin, refined, metric, module.weight, info);
      expect(end).toBeLessThanOrEqual(start);
      expect(end).toBeLessThan(0.7 * start);
      expect(refined.cores.map((c) => c.shape)).toEqual(
        (await plugin.decompose(module.weight, info, ranks)).cores.map((c) => c.shape),
      );
      expect(trace.length).toBeGreaterThan(0);
    });
  }
});
