import {
  type DecompositionPlugin,
  decomposeWithMetric,
  factorTensors,
  type LayerInfo,
  type Metric,
  type MetricDecomposeOptions,
  relativeError,
  type Tensor,
} from '@lowrank/core';

/**
 * The relative error `‖W - What‖ / ‖W‖` in `metric` of `decomposition` at `ranks`,
 * measured: core's `decomposeWithMetric` minimising `fitted` (by default `metric` itself:
 * the plugin's own algorithm for it, or the generic one), then `relativeError` of the
 * reconstruction in `metric`. Every tensor it makes is disposed.
 */
export async function measuredError(
  decomposition: DecompositionPlugin,
  weight: Tensor,
  layer: LayerInfo,
  ranks: readonly number[],
  metric: Metric,
  options: MetricDecomposeOptions = {},
  fitted: Metric = metric,
): Promise<number> {
  const factors = await decomposeWithMetric(decomposition, weight, layer, ranks, {
    ...options,
    metric: fitted,
  });
  try {
    const approx = weight.engine.tidy(() => decomposition.reconstruct(factors));
    try {
      return await relativeError(metric, weight, approx, layer);
    } finally {
      approx.dispose();
    }
  } finally {
    for (const t of factorTensors(factors)) t.dispose();
  }
}
