import {
  type CalibrationBatch,
  type CalibrationLayer,
  type Collector,
  crossEntropy,
  formatShape,
  slice,
  type Tensor,
} from '@lowrank/core';
import { FisherStatistics } from './fisher-statistics.js';
import { weightGradient } from './weight-gradient.js';

/** Per-sample losses `[N]` of a calibration batch, from the model's outputs. */
export type FisherLoss = (outputs: Tensor, batch: CalibrationBatch) => Tensor;

export interface FisherOptions {
  /**
   * Samples per gradient (default 1: per-sample gradients, the empirical Fisher). Each
   * calibration batch is split into groups of this many samples; `G_m` is the gradient
   * of their mean loss.
   */
  microBatch?: number;
  /** Per-sample losses (default: cross-entropy of the outputs against the batch's labels). */
  loss?: FisherLoss;
}

/** Cross-entropy per sample against the batch's integer labels. */
export const crossEntropyLoss: FisherLoss = (outputs, batch) => {
  if (!batch.labels) {
    throw new Error(
      'fisher: a calibration batch has no labels, which the default cross-entropy loss needs; pass batches with labels or a `loss` option',
    );
  }
  return crossEntropy(outputs, batch.labels, { reduction: 'none' });
};

interface Seen {
  input: Tensor;
  output: Tensor;
}

/**
 * A collector of `FisherStatistics` for each layer. Forward hooks keep each layer's input
 * and output; after the forward pass one backward from the summed per-sample losses gives
 * every sample's gradient at each layer's output (samples do not interact in eval mode),
 * and each micro-batch's weight gradient follows from the layer's own input: one backward
 * per batch however small the micro-batches.
 */
export function fisherCollector(layers: readonly CalibrationLayer[], options: FisherOptions = {}): Collector {
  const { microBatch = 1, loss = crossEntropyLoss } = options;
  if (!Number.isInteger(microBatch) || microBatch < 1) {
    throw new RangeError(`fisher: microBatch must be a positive integer, got ${microBatch}`);
  }
  const stats = new Map(layers.map(({ info }) => [info.name, new FisherStatistics(info)]));
  const seen = new Map<string, Seen>();
  const removers: (() => void)[] = [];
  const forget = () => {
    for (const s of seen.values()) s.input.dispose();
    seen.clear();
  };
  const detach = () => {
    for (const remove of removers.splice(0)) remove();
    forget();
  };

  const endBatch = async (batch: CalibrationBatch, outputs: Tensor) => {
    try {
      const engine = outputs.engine;
      for (const { info } of layers) {
        if (!seen.has(info.name)) {
          throw new Error(
            `fisher: '${info.name}' was not called during the forward pass; is it part of the model being calibrated?`,
          );
        }
      }
      if (!engine.gradEnabled || !outputs.requiresGrad) {
        throw new Error(
          'fisher: the model outputs carry no gradient graph; run calibration with calibrate(...), which enables gradients for this collector',
        );
      }
      const order = layers.map(({ info }) => seen.get(info.name) as Seen);
      const deltas = engine.tidy(() => {
        const perSample = loss(outputs, batch);
        const n = outputs.shape[0];
        if (perSample.shape.length !== 1 || perSample.shape[0] !== n) {
          throw new RangeError(
            `fisher: the loss gave ${formatShape(perSample.shape)}; it must give one loss per sample, [${n}]`,
          );
        }
        return engine.gradients(
          perSample.sum(),
          order.map((s) => s.output),
        );
      });
      try {
        for (const [k, { info }] of layers.entries()) {
          const { input } = order[k];
          const delta = deltas[k];
          const n = input.shape[0];
          const s = stats.get(info.name) as FisherStatistics;
          for (let start = 0; start < n; start += microBatch) {
            const stop = Math.min(n, start + microBatch);
            const g = engine.noGrad(() =>
              engine.tidy(() => {
                const part = (t: Tensor) => slice(t, [[start, stop]]);
                return weightGradient(info, part(input), part(delta));
              }),
            );
            const values = await g.data();
            g.dispose();
            s.addGradient(values, stop - start);
          }
        }
      } finally {
        for (const d of deltas) d.dispose();
      }
    } finally {
      forget();
    }
  };

  return {
    needsGradients: true,
    attach() {
      detach();
      for (const { info, module } of layers) {
        removers.push(
          module.addForwardHook((_m, inputs, output) => {
            if (seen.has(info.name)) {
              throw new Error(
                `fisher: '${info.name}' ran twice in one forward pass; a shared layer has no single per-sample gradient here`,
              );
            }
            seen.set(info.name, { input: module.engine.keep(inputs[0].detach()), output });
          }),
        );
      }
    },
    detach,
    beginBatch: forget,
    endBatch,
    statistics: () => new Map(stats),
  };
}
