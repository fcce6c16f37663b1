/**
 * Any decomposition under any metric: the plugin's own algorithm where it has one,
 * otherwise EM imputation (weighted metrics) and gradient refinement of the factors
 * (every metric) on top of its Frobenius solution.
 */
import { fromNdArray, toNdArray } from '../linalg/tensor-bridge.js';
import type { Tensor } from '../tensor.js';
import type { LayerInfo } from './layer-info.js';
import { FROBENIUS, type Metric } from './metric.js';
import { relativeError } from './metric-error.js';
import type { DecomposeOptions, DecompositionPlugin } from './plugin.js';
import { factorTensors, type RefineOptions, refineFactors } from './refine.js';

/** Settings of the EM imputation for weighted metrics. */
export interface ImputationOptions {
  /** Most EM iterations (default 50). */
  iterations?: number;
  /** Stop when the weighted relative error falls by less than this fraction of itself (default 1e-4). */
  tol?: number;
}

export type MetricDecomposeOptions = DecomposeOptions & {
  /** Gradient refinement after the plugin's Frobenius (or EM) solution; `false` skips it. */
  refine?: RefineOptions | false;
  /** EM imputation for weighted metrics the plugin does not solve itself. */
  imputation?: ImputationOptions;
};

/** The metric kinds a plugin's `decompose` solves itself (absent: Frobenius only). */
export function nativeMetrics(plugin: DecompositionPlugin<unknown>): readonly Metric['kind'][] {
  return plugin.metrics ?? ['frobenius'];
}

/**
 * Decomposes `weight` to minimise its error in `options.metric` (default Frobenius).
 * When the plugin lists the metric's kind in `metrics`, its own `decompose` runs.
 * Otherwise:
 * - weighted: EM imputation `What <- project(F' W + (1 - F') What)`, `F' = F / max F`,
 *   from the Frobenius solution, until the weighted error stops decreasing (the best
 *   iterate is kept), then gradient refinement of its factors;
 * - whitened: gradient refinement of the Frobenius factors.
 * Refinement never ends worse than where it started. `onIteration` hears the metric's
 * relative error after each EM iteration and each refinement step, numbered on.
 */
export async function decomposeWithMetric<F>(
  plugin: DecompositionPlugin<F>,
  weight: Tensor,
  layer: LayerInfo,
  ranks: readonly number[],
  options: MetricDecomposeOptions = {},
): Promise<F> {
  const { refine, imputation, ...decomposeOptions } = options;
  const metric = options.metric ?? FROBENIUS;
  const native = nativeMetrics(plugin as DecompositionPlugin<unknown>);
  if (native.includes(metric.kind)) return plugin.decompose(weight, layer, ranks, decomposeOptions);
  if (!native.includes('frobenius')) {
    throw new Error(
      `decomposeWithMetric: ${plugin.name} solves only [${native.join(', ')}], neither the '${metric.kind}' metric asked for '${layer.name}' nor Frobenius to start a generic solution from`,
    );
  }
  const onIteration = options.onIteration;
  const frobenius = { ...decomposeOptions, metric: FROBENIUS, onIteration: undefined };
  let done = 0;
  let factors =
    metric.kind === 'weighted'
      ? await imputeWeighted(plugin, weight, layer, ranks, metric, frobenius, imputation, (e) =>
          onIteration?.(++done, e),
        )
      : await plugin.decompose(weight, layer, ranks, frobenius);
  if (refine === false) return factors;
  try {
    const refined = await refineFactors(plugin, factors, weight, metric, {
      ...refine,
      layer,
      onIteration: (_it, e) => {
        refine?.onIteration?.(_it, e);
        onIteration?.(++done, e);
      },
    });
    const start = factors;
    factors = refined;
    disposeAll(start);
  } catch (e) {
    disposeAll(factors);
    throw e;
  }
  return factors;
}

/**
 * EM imputation for `sum F (W - What)^2` with any projection: each step fills in the
 * low-weight entries of the target from the current approximation and decomposes it
 * by Frobenius. Starts from the Frobenius solution; returns the factors of the iterate
 * with the lowest weighted error.
 */
async function imputeWeighted<F>(
  plugin: DecompositionPlugin<F>,
  weight: Tensor,
  layer: LayerInfo,
  ranks: readonly number[],
  metric: Extract<Metric, { kind: 'weighted' }>,
  frobenius: DecomposeOptions,
  options: ImputationOptions = {},
  report: (relativeError: number) => void,
): Promise<F> {
  const { iterations = 50, tol = 1e-4 } = options;
  if (!(Number.isInteger(iterations) && iterations >= 0) || !(tol >= 0)) {
    throw new RangeError(
      `decomposeWithMetric: imputation iterations (${iterations}) must be a non-negative integer and tol (${tol}) non-negative`,
    );
  }
  if (metric.weights.shape.join() !== weight.shape.join()) {
    throw new RangeError(
      `decomposeWithMetric: the weighted metric of '${layer.name}' has weights [${metric.weights.shape}]; they must be shaped like the weight [${weight.shape}]`,
    );
  }
  const w = await toNdArray(weight);
  const f = (await toNdArray(metric.weights)).data;
  let fMax = 0;
  for (const v of f) {
    if (!(v >= 0) || !Number.isFinite(v)) {
      throw new RangeError(
        `decomposeWithMetric: the weighted metric of '${layer.name}' has a weight ${v}; weights must be finite and non-negative`,
      );
    }
    fMax = Math.max(fMax, v);
  }
  if (fMax === 0) {
    throw new RangeError(
      `decomposeWithMetric: every weight of the weighted metric of '${layer.name}' is zero; the metric measures nothing`,
    );
  }
  const approxOf = async (factors: F) => {
    const t = plugin.reconstruct(factors);
    try {
      return { data: (await toNdArray(t)).data, error: await relativeError(metric, weight, t, layer) };
    } finally {
      t.dispose();
    }
  };
  let best: F = await plugin.decompose(weight, layer, ranks, frobenius);
  let { data: approx, error: bestError } = await approxOf(best);
  report(bestError);
  for (let it = 0; it < iterations; it++) {
    const target = approx.map((a, i) => (f[i] / fMax) * w.data[i] + (1 - f[i] / fMax) * a);
    const targetTensor = fromNdArray(weight.engine, { shape: w.shape, data: target }, weight.dtype);
    let next: F;
    try {
      next = await plugin.decompose(targetTensor, layer, ranks, frobenius);
    } finally {
      targetTensor.dispose();
    }
    const step = await approxOf(next);
    report(step.error);
    if (step.error >= bestError) {
      disposeAll(next);
      break;
    }
    const improved = bestError - step.error > tol * bestError;
    disposeAll(best);
    best = next;
    approx = step.data;
    bestError = step.error;
    if (!improved) break;
  }
  return best;
}

function disposeAll(factors: unknown): void {
  for (const t of factorTensors(factors)) t.dispose();
}
