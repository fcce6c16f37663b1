import type { Engine, NormPlugin } from '@lowrank/core';
import { activationCollector } from './collector.js';
import { type ActivationMetricOptions, activationMetric } from './metric.js';

const NAME = 'activation';

/**
 * The activation-guided norm, AG-LRA (register with `engine.use(activation())`):
 * `collector` gathers each layer's mean absolute output per channel on calibration data,
 * `metric` weights each output row of the weight error by it.
 */
export function activation(options: ActivationMetricOptions = {}): NormPlugin {
  let registered: Engine | null = null;
  return {
    kind: 'norm',
    name: NAME,
    setup(engine) {
      registered = engine;
    },
    collector: activationCollector,
    metric(layer, stats) {
      if (!registered) {
        throw new Error(
          `activation: metric('${layer.name}') needs the engine the weights live on; register the plugin with engine.use(activation()) first`,
        );
      }
      return activationMetric(registered, layer, stats, options);
    },
  };
}
