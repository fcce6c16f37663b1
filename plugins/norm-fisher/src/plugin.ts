import type { Engine, NormPlugin } from '@lowrank/core';
import { type FisherOptions, fisherCollector } from './collector.js';
import { type FisherMetricOptions, fisherMetric } from './metric.js';

const NAME = 'fisher';

/**
 * The Fisher norm (register with `engine.use(fisher())`): `collector` gathers each layer's
 * diagonal empirical Fisher `F = E[(dloss/dW)^2]` during `calibrate(...)` (it needs the
 * gradient graph and, with the default loss, labelled batches), and `metric` turns it into
 * the weighted metric `sum F (W - What)^2` (FW-LRA), with `F` divided by its mean.
 */
export function fisher(options: FisherOptions & FisherMetricOptions = {}): NormPlugin {
  let registered: Engine | null = null;
  return {
    kind: 'norm',
    name: NAME,
    setup(engine) {
      registered = engine;
    },
    collector: (layers) => fisherCollector(layers, options),
    metric(layer, stats) {
      if (!registered) {
        throw new Error(
          `fisher: metric('${layer.name}') needs the engine the weights live on; register the plugin with engine.use(fisher()) first`,
        );
      }
      return fisherMetric(registered, layer, stats, options);
    },
  };
}
