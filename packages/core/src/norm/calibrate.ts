import type { Module } from '../nn/module.js';
import type { CalibrationBatch, Collector } from './plugin.js';

export interface CalibrateOptions {
  /** Called after each batch with the number of batches done so far. */
  onBatch?: (done: number) => void;
}

/**
 * Runs calibration batches through `model` in eval mode with every collector attached:
 * `beginBatch`, the forward pass (under `noGrad` unless a collector `needsGradients`),
 * then `endBatch` with the outputs. Collectors are detached and the model's training
 * mode restored even when a batch throws, so a failed calibration leaves no hooks behind.
 */
export async function calibrate(
  model: Module,
  collectors: readonly Collector[],
  data: Iterable<CalibrationBatch> | AsyncIterable<CalibrationBatch>,
  options: CalibrateOptions = {},
): Promise<number> {
  const engine = model.engine;
  const wasTraining = model.training;
  const withGradients = collectors.some((c) => c.needsGradients === true);
  model.eval();
  for (const c of collectors) c.attach();
  let done = 0;
  try {
    for await (const batch of data) {
      for (const c of collectors) c.beginBatch?.(batch);
      // Without gradients every intermediate can go at once; with them, the graph must
      // outlive the forward pass until the collectors' `endBatch` has differentiated it.
      const outputs = withGradients
        ? model.call(batch.inputs)
        : engine.noGrad(() => engine.tidy(() => model.call(batch.inputs)));
      try {
        for (const c of collectors) await c.endBatch?.(batch, outputs);
      } finally {
        outputs.dispose();
      }
      done++;
      options.onBatch?.(done);
    }
  } finally {
    for (const c of collectors) c.detach();
    model.train(wasTraining);
  }
  if (done === 0) {
    throw new Error('calibrate: the calibration data had no batches; pass at least one batch of inputs');
  }
  return done;
}
