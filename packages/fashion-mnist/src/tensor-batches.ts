import { batches, type CalibrationBatch, type Engine } from '@lowrank/core';
import { FASHION_MNIST_NORMALIZATION } from './constants.js';
import type { FashionMnist } from './load.js';

export interface BatchSettings {
  batchSize: number;
  /** Use the first `count` images (default all). */
  count?: number;
  /** Shuffle with this seed (default: in order). */
  shuffleSeed?: number;
}

/**
 * Normalised Fashion-MNIST batches as engine tensors (inputs and labels), re-iterable (each pass is a fresh
 * generator, so the pipeline can evaluate several times); each batch's tensors are
 * freed when the next one is asked for or the pass ends.
 */
export function tensorBatches(
  engine: Engine,
  set: FashionMnist,
  settings: BatchSettings,
): Iterable<CalibrationBatch> {
  return {
    *[Symbol.iterator]() {
      for (const b of batches({
        images: set.images,
        labels: set.labels,
        count: Math.min(settings.count ?? set.count, set.count),
        sampleShape: [1, 28, 28],
        batchSize: settings.batchSize,
        shuffle: settings.shuffleSeed !== undefined,
        seed: settings.shuffleSeed,
        normalize: FASHION_MNIST_NORMALIZATION,
      })) {
        const inputs = engine.fromData(b.x, b.xShape);
        const labels = engine.fromData(b.y, [b.size]);
        try {
          yield { inputs, labels };
        } finally {
          inputs.dispose();
          labels.dispose();
        }
      }
    },
  };
}
