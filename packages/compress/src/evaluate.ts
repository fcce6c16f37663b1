import { argmax, type CalibrationBatch, equal, type nn, sum } from '@lowrank/core';

/** Labelled batches: any (async) iterable of inputs with int32 labels. */
export type LabelledData = Iterable<CalibrationBatch> | AsyncIterable<CalibrationBatch>;

/** How accuracy is measured: top-1 on labelled batches, or the user's own function. */
export type Evaluation = LabelledData | ((model: nn.Module) => number | Promise<number>);

/**
 * The evaluation step: top-1 accuracy of `model` on labelled batches (in eval mode,
 * without gradients; the model's mode is restored), or the value of the user's function.
 */
export async function evaluate(
  model: nn.Module,
  evaluation: Evaluation,
  onBatch?: (done: number) => void,
): Promise<number> {
  if (typeof evaluation === 'function') return evaluation(model);
  const engine = model.engine;
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  let count = 0;
  let done = 0;
  try {
    for await (const batch of evaluation) {
      if (!batch.labels) {
        throw new Error(`evaluate: batch ${done + 1} has no labels; accuracy needs labelled batches`);
      }
      const labels = batch.labels;
      const hits = engine.noGrad(() =>
        engine.tidy(() => sum(equal(argmax(model.call(batch.inputs), 1), labels.cast('int32')))),
      );
      correct += (await hits.data())[0];
      hits.dispose();
      count += labels.size;
      onBatch?.(++done);
    }
  } finally {
    model.train(wasTraining);
  }
  if (count === 0) {
    throw new Error(
      'evaluate: the evaluation data had no samples; to evaluate more than once pass an array or a re-iterable object, not a used-up generator',
    );
  }
  return correct / count;
}
