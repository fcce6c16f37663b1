import type { Module } from '../nn/module.js';
import type { PluginBase } from '../plugins.js';
import type { Tensor } from '../tensor.js';
import type { Cost, LayerInfo } from './layer-info.js';
import type { Metric } from './metric.js';

/** What the ranks of a decomposition are for one layer: one entry per rank, with its bounds. */
export interface RankSpec {
  /** e.g. ['r'] for SVD, ['R1 (out)', 'R2 (in)'] for Tucker2, ['r1', ..., 'r{d-1}'] for TT. */
  labels: readonly string[];
  /** Largest meaningful value of each rank (beyond it nothing compresses or the unfolding bound is hit). */
  max: readonly number[];
  min: readonly number[];
}

/** Either the layer is supported or the reason it is not, for an error naming the layer. */
export type Support = { ok: true } | { ok: false; reason: string };

export interface DecomposeOptions {
  metric?: Metric;
  seed?: number;
  /** Called with the relative error after each iteration of iterative algorithms (ALS). */
  onIteration?: (iteration: number, relativeError: number) => void;
  /** Algorithm-specific settings (iterations, tolerance, init). */
  [key: string]: unknown;
}

/**
 * A tensor decomposition of conv and linear weights, registered with
 * `engine.use(...)`. `F` is the plugin's factors type (plain tensors a user can read).
 */
export interface DecompositionPlugin<F = unknown> extends PluginBase<'decomposition'> {
  /**
   * The metric kinds `decompose` minimises by its own algorithm (absent: Frobenius only).
   * Core's `decomposeWithMetric` covers the others generically.
   */
  readonly metrics?: readonly Metric['kind'][];
  supports(layer: LayerInfo): Support;
  rankSpec(layer: LayerInfo): RankSpec;
  /** Params and MACs of the factorized layer at these ranks. */
  cost(layer: LayerInfo, ranks: readonly number[]): Cost;
  decompose(
    weight: Tensor,
    layer: LayerInfo,
    ranks: readonly number[],
    options?: DecomposeOptions,
  ): Promise<F>;
  /** The dense weight the factors represent, in the layer's weight shape. */
  reconstruct(factors: F): Tensor;
  /**
   * Nearest point of the rank set to `weight` (ADMM's Z-step): reconstruct(decompose(...)),
   * which `projectByDecomposition` builds.
   */
  project(weight: Tensor, layer: LayerInfo, ranks: readonly number[], metric?: Metric): Promise<Tensor>;
  /** The factorized nn layer replacing the original, keeping its stride, padding, dilation and bias. */
  layer(factors: F, original: LayerInfo, bias: Tensor | null): Module;
}
