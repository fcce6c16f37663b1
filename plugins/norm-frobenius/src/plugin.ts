import { type CalibrationLayer, type Collector, FROBENIUS, type NormPlugin } from '@lowrank/core';

const NAME = 'frobenius';

/** A collector with nothing to gather: attaching adds no hooks, statistics are empty. */
function emptyCollector(_layers: readonly CalibrationLayer[]): Collector {
  return {
    attach() {},
    detach() {},
    statistics: () => new Map(),
  };
}

/**
 * The Frobenius norm (register with `engine.use(frobenius())`): `metric` is always
 * `{ kind: 'frobenius' }`, whatever the layer and statistics (none are needed, so it says
 * `needsCalibration: false` and a pipeline runs it without calibration data).
 */
export function frobenius(): NormPlugin {
  return {
    kind: 'norm',
    name: NAME,
    needsCalibration: false,
    collector: emptyCollector,
    metric: () => FROBENIUS,
  };
}
