/**
 * The checks that a decomposition without its own Sigma algorithm (TT, TR) reaches the
 * whitened metric through core's generic refinement (ALGORITHMS.md, "Any decomposition
 * x any norm"). Runner-agnostic like `decompositionConformance`.
 */

import { SeededRandom } from '../data/prng.js';
import type { LayerInfo } from '../decomposition/layer-info.js';
import { layerInfo } from '../decomposition/layer-info.js';
import { FROBENIUS, type Metric } from '../decomposition/metric.js';
import { relativeError } from '../decomposition/metric-error.js';
import type { DecompositionPlugin } from '../decomposition/plugin.js';
import { factorTensors } from '../decomposition/refine.js';
import { decomposeWithMetric } from '../decomposition/with-metric.js';
import { createEngine, type Engine } from '../engine.js';
import { cholesky, fromMatrix, gram, matmul, matrix } from '../linalg/index.js';
import type { Conv2d } from '../nn/conv2d.js';
import type { Linear } from '../nn/linear.js';
import type { Tensor } from '../tensor.js';
import type { ConformanceCheck } from './decomposition.js';

export interface MetricConformanceCase {
  label: string;
  /** The layer to decompose (its input is 6 x 6 for a conv). */
  build: (engine: Engine) => Linear | Conv2d;
  ranks: (layer: LayerInfo) => number[];
}

export interface MetricConformanceOptions {
  plugin: () => DecompositionPlugin;
  /** What the plugin's own (Frobenius) algorithm is called, for the check names. */
  baseline: string;
  cases: readonly MetricConformanceCase[];
}

/**
 * A whitening factor `L` (`L L^T = Sigma`) of inputs with strongly unequal, correlated
 * features: `Sigma = X^T X / n` for `X = Z M`, `M` random with decaying column scales.
 */
function correlatedWhitening(engine: Engine, p: number, seed: number): Tensor {
  const rng = new SeededRandom(seed);
  const n = 4 * p;
  const m = matrix(
    p,
    p,
    Float64Array.from({ length: p * p }, (_, i) => rng.normal() * 0.6 ** (i % p)),
  );
  const z = matrix(
    n,
    p,
    Float64Array.from({ length: n * p }, () => rng.normal()),
  );
  const sigma = gram(matmul(z, m));
  for (let i = 0; i < sigma.data.length; i++) sigma.data[i] /= n;
  return fromMatrix(engine, cholesky(sigma, { jitter: true }).L, 'float64');
}

async function errorOf(
  plugin: DecompositionPlugin,
  factors: unknown,
  metric: Metric,
  w: Tensor,
  info: LayerInfo,
) {
  const approx = plugin.reconstruct(factors);
  try {
    return await relativeError(metric, w, approx, info);
  } finally {
    approx.dispose();
  }
}

export function metricConformance(o: MetricConformanceOptions): ConformanceCheck[] {
  const setup = (seed: number, c: MetricConformanceCase) => {
    const engine = createEngine({ seed });
    const module = c.build(engine);
    const info = layerInfo('layer', module, [6, 6]);
    const p = info.weightShape.slice(1).reduce((a, b) => a * b, 1);
    return { engine, module, info, p, plugin: o.plugin(), ranks: c.ranks(info) };
  };
  return o.cases.flatMap((c) => [
    {
      name: `${c.label}: with L = I, no refinement gives ${o.baseline} exactly and refinement ends no worse in Frobenius`,
      run: async () => {
        const { engine, module, info, p, plugin, ranks } = setup(1, c);
        const metric: Metric = { kind: 'whitened', factor: engine.eye(p, p, 'float64') };
        const base = plugin.reconstruct(await plugin.decompose(module.weight, info, ranks));
        const unrefined = plugin.reconstruct(
          await decomposeWithMetric(plugin, module.weight, info, ranks, { metric, refine: false }),
        );
        const [got, want] = [await unrefined.data(), await base.data()];
        expectTrue(
          got.every((x, i) => x === want[i]),
          'the unrefined factors differ from the plain decomposition',
        );
        const refined = plugin.reconstruct(
          await decomposeWithMetric(plugin, module.weight, info, ranks, {
            metric,
            refine: { iterations: 30 },
          }),
        );
        const before = await relativeError(FROBENIUS, module.weight, base);
        const after = await relativeError(FROBENIUS, module.weight, refined);
        // The baseline need not be Frobenius-optimal, so the identity metric may still improve it.
        expectTrue(after <= before, `refinement raised the Frobenius error ${before} -> ${after}`);
        const identity = await relativeError(metric, module.weight, refined);
        expectTrue(Math.abs(identity - after) < 1e-12, `L = I gave ${identity}, Frobenius ${after}`);
      },
    },
    {
      name: `${c.label}: a non-trivial Sigma error ends below ${o.baseline}'s (by > 30%), never above, with the same factor shapes`,
      run: async () => {
        const { engine, module, info, p, plugin, ranks } = setup(2, c);
        const metric: Metric = { kind: 'whitened', factor: correlatedWhitening(engine, p, 3) };
        const plain = await plugin.decompose(module.weight, info, ranks);
        const start = await errorOf(plugin, plain, metric, module.weight, info);
        const trace: number[] = [];
        const refined = await decomposeWithMetric(plugin, module.weight, info, ranks, {
          metric,
          refine: { iterations: 200 },
          onIteration: (_i, e) => trace.push(e),
        });
        const end = await errorOf(plugin, refined, metric, module.weight, info);
        expectTrue(end < 0.7 * start, `Sigma error ${start} -> ${end}, not 30% lower`);
        const shapes = (f: unknown) => factorTensors(f).map((t) => t.shape.join('x'));
        expectTrue(shapes(refined).join() === shapes(plain).join(), 'refinement changed the factor shapes');
        expectTrue(trace.length > 0, 'no progress was reported');
      },
    },
  ]);
}

function expectTrue(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}
