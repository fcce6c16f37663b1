import type { Engine, NormPlugin } from '@lowrank/core';
import { calibrationWarnings } from './calibration-warnings.js';
import { sigmaCollector } from './collector.js';
import { type WhiteningOptions, whitening } from './whitening.js';

const NAME = 'sigma';

/**
 * The Sigma norm (register with `engine.use(sigma())`): `collector` gathers each layer's
 * input second moment on calibration data, `metric` turns it into the `'whitened'`
 * metric `{ factor: L }`, so that a decomposition minimising `‖(W_mat - What_mat) L‖_F`
 * minimises the layer's mean squared output error on that data. With `{ centred: true }`
 * the metric whitens the centred covariance and carries the mean, and the layer's mean
 * output error is folded into its bias (`correctedBias`; `@lowrank/compress` does it).
 */
export function sigma(options: WhiteningOptions = {}): NormPlugin {
  let registered: Engine | null = null;
  return {
    kind: 'norm',
    name: NAME,
    setup(engine) {
      registered = engine;
    },
    collector: sigmaCollector,
    metric(layer, stats) {
      if (!registered) {
        throw new Error(
          `sigma: metric('${layer.name}') needs the engine the factor lives on; register the plugin with engine.use(sigma()) first`,
        );
      }
      return whitening(registered, layer, stats, options).metric;
    },
    diagnose: (layer, stats) => calibrationWarnings(layer, stats, options.centred ?? false),
  };
}
