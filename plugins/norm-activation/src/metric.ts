import { type Engine, type LayerInfo, linalg, type Metric } from '@lowrank/core';
import { ActivationStatistics } from './activation-statistics.js';

export interface ActivationMetricOptions {
  /** Added to every channel's weight, as a fraction of the mean (default 0). */
  damping?: number;
}

/**
 * The activation-guided weighted metric (AG-LRA): every entry of output row `o` of the
 * weight gets `a_o / mean(a)` (`a_o = E|y_o|`, plus `damping`), float64, shaped like the
 * weight, so that `sum F (W - What)^2 = sum_o (a_o / mean a) ‖w_o - what_o‖^2`.
 */
export function activationMetric(
  engine: Engine,
  layer: LayerInfo,
  stats: unknown,
  options: ActivationMetricOptions = {},
): Extract<Metric, { kind: 'weighted' }> {
  const { damping = 0 } = options;
  if (!(damping >= 0) || !Number.isFinite(damping)) {
    throw new RangeError(`activation: damping must be a finite non-negative number, got ${damping}`);
  }
  if (!(stats instanceof ActivationStatistics)) {
    throw new TypeError(
      `activation: the statistics of '${layer.name}' are not ActivationStatistics; collect them with activation().collector(...) or load them with ActivationStatistics.fromJSON`,
    );
  }
  if (stats.layer.outChannels !== layer.outChannels) {
    throw new RangeError(
      `activation: statistics of '${stats.layer.name}' (${stats.layer.outChannels} channels) do not fit '${layer.name}' (${layer.outChannels} output channels)`,
    );
  }
  const a = stats.meanAbs();
  const mean = a.reduce((x, y) => x + y, 0) / a.length;
  if (!(mean > 0)) {
    throw new Error(
      `activation: every output channel of '${layer.name}' was zero on the calibration data; use damping or another norm`,
    );
  }
  const size = layer.weightShape.reduce((x, y) => x * y, 1);
  const perRow = size / layer.outChannels;
  const weights = Float64Array.from({ length: size }, (_, i) => a[Math.floor(i / perRow)] / mean + damping);
  return {
    kind: 'weighted',
    weights: linalg.fromNdArray(engine, { shape: [...layer.weightShape], data: weights }, 'float64'),
  };
}
