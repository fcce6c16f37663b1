import {
  type DecompositionPlugin,
  FROBENIUS,
  type LayerInfo,
  linalg,
  type Metric,
  type MetricDecomposeOptions,
  type Tensor,
} from '@lowrank/core';
import { fingerprint } from './fingerprint.js';
import { measuredError } from './measured-error.js';
import { svdErrors } from './svd-errors.js';

/** Errors already measured, by layer, weight and metric content, and ranks. */
export type ErrorCache = Map<string, number>;

/** One layer's relative error at any ranks, in its metric. */
export type ErrorAt = (ranks: readonly number[]) => Promise<number>;

async function metricKey(metric: Metric): Promise<string> {
  if (metric.kind === 'frobenius') return 'frobenius';
  const tensor = metric.kind === 'whitened' ? metric.factor : metric.weights;
  return `${metric.kind}:${tensor.shape.join('x')}:${fingerprint((await linalg.toNdArray(tensor)).data)}`;
}

/** What the measured decompositions minimise: the layer's metric, or Frobenius whatever the metric. */
export type DecomposeUnder = 'metric' | 'frobenius';

/**
 * The error function of one layer in `metric`: for the `svd` decomposition minimising that
 * same metric (Frobenius or whitened), the exact optimal errors at every rank from one SVD
 * (`svdErrors`); otherwise measured by decomposing (`measuredError`), each (layer, weight,
 * metric, ranks) once per cache (a cache serves one `under`).
 */
export async function layerErrors(
  decomposition: DecompositionPlugin,
  layer: LayerInfo,
  weight: Tensor,
  values: linalg.NdArray,
  metric: Metric,
  cache: ErrorCache,
  options: MetricDecomposeOptions,
  under: DecomposeUnder = 'metric',
): Promise<ErrorAt> {
  const fitted = under === 'metric' ? metric : FROBENIUS;
  if (decomposition.name === 'svd' && metric.kind !== 'weighted' && fitted.kind === metric.kind) {
    const curve = await svdErrors(values, metric);
    return async ([r]) => curve[Math.min(r, curve.length - 1)];
  }
  const prefix = `${layer.name}|${values.shape.join('x')}:${fingerprint(values.data)}|${await metricKey(metric)}|`;
  return async (ranks) => {
    const key = prefix + ranks.join(',');
    const known = cache.get(key);
    if (known !== undefined) return known;
    const error = await measuredError(decomposition, weight, layer, ranks, metric, options, fitted);
    cache.set(key, error);
    return error;
  };
}
