import { type Engine, type LayerInfo, linalg, type Metric } from '@lowrank/core';
import { FisherStatistics } from './fisher-statistics.js';

export interface FisherMetricOptions {
  /**
   * Added to every entry, as a fraction of the mean Fisher (default 0): keeps weights that
   * never moved the loss on the calibration data (dead units) from being ignored entirely.
   */
  damping?: number;
}

/**
 * The Fisher-weighted metric `{ kind: 'weighted', weights: F / mean(F) }` (plus `damping`),
 * float64 and shaped like the weight. Dividing by the mean changes no minimiser and keeps
 * the weights near 1 whatever the loss scale.
 */
export function fisherMetric(
  engine: Engine,
  layer: LayerInfo,
  stats: unknown,
  options: FisherMetricOptions = {},
): Extract<Metric, { kind: 'weighted' }> {
  const { damping = 0 } = options;
  if (!(damping >= 0) || !Number.isFinite(damping)) {
    throw new RangeError(`fisher: damping must be a finite non-negative number, got ${damping}`);
  }
  if (!(stats instanceof FisherStatistics)) {
    throw new TypeError(
      `fisher: the statistics of '${layer.name}' are not FisherStatistics; collect them with fisher().collector(...) and calibrate(...), or load them with FisherStatistics.fromJSON`,
    );
  }
  if (stats.layer.weightShape.join() !== layer.weightShape.join()) {
    throw new RangeError(
      `fisher: statistics of '${stats.layer.name}' (weight [${stats.layer.weightShape}]) do not fit '${layer.name}' (weight [${layer.weightShape}])`,
    );
  }
  const f = stats.fisher();
  const mean = f.reduce((a, b) => a + b, 0) / f.length;
  if (!(mean > 0)) {
    throw new Error(
      `fisher: every Fisher entry of '${layer.name}' is zero (the loss did not depend on its weight on the calibration data); use damping or another norm`,
    );
  }
  const weights = f.map((v) => v / mean + damping);
  return {
    kind: 'weighted',
    weights: linalg.fromNdArray(engine, { shape: [...layer.weightShape], data: weights }, 'float64'),
  };
}
