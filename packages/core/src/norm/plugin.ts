import type { LayerInfo } from '../decomposition/layer-info.js';
import type { Metric } from '../decomposition/metric.js';
import type { Module } from '../nn/module.js';
import type { PluginBase } from '../plugins.js';
import type { Tensor } from '../tensor.js';

/**
 * Gathers a norm's statistics while calibration data runs through the model:
 * `attach` adds forward hooks to the layers, `detach` removes them, and
 * `statistics` returns what was gathered so far, by layer name.
 */
export interface Collector {
  attach(): void;
  detach(): void;
  /**
   * Called with each calibration batch before the model runs on it, for collectors that
   * need more than the layers' inputs (labels for LWIQ's imprinting, the loss for Fisher).
   */
  beginBatch?(batch: CalibrationBatch): void;
  /**
   * Called with the model's outputs on each batch; with `needsGradients` their autodiff
   * graph is still alive, so a collector can differentiate a loss (Fisher).
   */
  endBatch?(batch: CalibrationBatch, outputs: Tensor): void | Promise<void>;
  /** The calibration pass must run with autodiff on (not under `noGrad`) for this collector. */
  readonly needsGradients?: boolean;
  statistics(): Map<string, unknown>;
}

/** One batch of calibration data: model inputs and, when the data has them, integer labels. */
export interface CalibrationBatch {
  inputs: Tensor;
  labels?: Tensor;
}

/** A layer to calibrate: its geometry and the module whose calls are observed. */
export interface CalibrationLayer {
  info: LayerInfo;
  module: Module;
}

/**
 * A norm plugin (Sigma, Fisher, ...): collects per-layer statistics on calibration
 * data, then turns one layer's statistics into the `Metric` a decomposition minimises.
 */
export interface NormPlugin extends PluginBase<'norm'> {
  /**
   * `false` for a norm whose `metric` needs no statistics (the Frobenius norm): a pipeline
   * given no calibration data may then skip calibration and call `metric(layer, undefined)`.
   * Absent or `true`: the norm learns from calibration data, and a pipeline without any
   * must refuse it (read it with `normNeedsCalibration`, which applies the default).
   */
  readonly needsCalibration?: boolean;
  collector(layers: readonly CalibrationLayer[]): Collector;
  metric(layer: LayerInfo, stats: unknown): Metric;
  /**
   * Warnings about a layer's statistics that leave its metric usable but less trustworthy,
   * such as fewer calibration samples than the metric has dimensions. Each names the layer
   * and says what to do; a pipeline shows them to the user.
   */
  diagnose?(layer: LayerInfo, stats: unknown): string[];
}

/** Whether `norm` needs calibration data: unless it says `needsCalibration: false`. */
export function normNeedsCalibration(norm: NormPlugin): boolean {
  return norm.needsCalibration !== false;
}
