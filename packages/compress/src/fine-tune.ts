import { add, crossEntropy, mul, type nn, optim, type Tensor } from '@lowrank/core';
import { Distillation, type DistillationTerms, type DistilledLayer } from './distillation.js';
import { type Evaluation, evaluate, type LabelledData } from './evaluate.js';
import type { OnProgress } from './progress.js';

/** Training batches for every epoch: an array (re-iterable) or a function of the epoch (0-based). */
export type TrainingData = LabelledData | ((epoch: number) => LabelledData);

export interface FineTuneOptions {
  data: TrainingData;
  /** Default 1. */
  epochs?: number;
  /** Default 'sgd' (momentum 0.9). */
  optimizer?: 'sgd' | 'adam';
  /** Default 0.01 for SGD, 1e-3 for Adam. */
  lr?: number;
  /** SGD momentum (default 0.9). */
  momentum?: number;
  weightDecay?: number;
  /**
   * The learning rate over the steps: 'constant' (default), 'cosine' (to 0 over all
   * steps; needs the number of batches per epoch: an array's length or `batchesPerEpoch`),
   * or any `optim.Schedule` (step-indexed).
   */
  schedule?: 'constant' | 'cosine' | optim.Schedule;
  batchesPerEpoch?: number;
  /** Weight of the distillation loss: `L = L_ce + lambda * L_diss` (default 0.1; 0 turns it off). */
  lambda?: number;
  distillation?: DistillationTerms;
  /** Accuracy after each epoch, when given. */
  evaluation?: Evaluation;
  /** Resets the engine's random generator first (dropout), for repeatable runs. */
  seed?: number;
  onProgress?: OnProgress;
}

/** Mean losses over one epoch's batches. */
export interface FineTuneEpoch {
  epoch: number;
  /** `L_ce + lambda * L_diss`. */
  loss: number;
  crossEntropy: number;
  /** `L_diss` = weight distance + output distance. */
  distillation: number;
  weightDistance: number;
  outputDistance: number;
  accuracy?: number;
}

export interface FineTuneResult {
  epochs: FineTuneEpoch[];
}

/**
 * Fine-tunes a compressed model on labelled data: cross-entropy plus `lambda` times the
 * distillation loss to the dense layers it replaced (rene paper; see `Distillation`),
 * all of the model's parameters trained. The model is left in eval mode.
 */
export async function fineTune(
  model: nn.Module,
  layers: readonly DistilledLayer[],
  options: FineTuneOptions,
): Promise<FineTuneResult> {
  const engine = model.engine;
  const epochs = options.epochs ?? 1;
  const lambda = options.lambda ?? 0.1;
  if (!Number.isInteger(epochs) || epochs < 1) {
    throw new RangeError(`fineTune: epochs must be a positive integer, got ${epochs}`);
  }
  if (!(lambda >= 0)) throw new RangeError(`fineTune: lambda must be >= 0, got ${lambda}`);
  if (options.seed !== undefined) engine.seed(options.seed);
  const distillation =
    lambda > 0 && layers.length > 0 ? new Distillation(layers, options.distillation) : null;
  const optimizer = makeOptimizer(model, options);
  const scheduler = makeScheduler(optimizer, options, epochs);
  const result: FineTuneResult = { epochs: [] };
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      model.train();
      distillation?.attach();
      const totals = { loss: 0, crossEntropy: 0, weightDistance: 0, outputDistance: 0 };
      let batches = 0;
      try {
        for await (const batch of epochData(options.data, epoch)) {
          if (!batch.labels) {
            throw new Error(`fineTune: batch ${batches + 1} of epoch ${epoch + 1} has no labels`);
          }
          const labels = batch.labels;
          const values = engine.tidy(() => {
            const ce = crossEntropy(model.call(batch.inputs), labels);
            const outputs = distillation ? distillation.outputs() : engine.scalar(0);
            const weights = distillation ? distillation.weights() : engine.scalar(0);
            const loss = add(ce, mul(add(weights, outputs), lambda));
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step();
            return [loss, ce, weights, outputs];
          });
          distillation?.release();
          const [loss, ce, weights, outputs] = await Promise.all(values.map(readScalar));
          totals.loss += loss;
          totals.crossEntropy += ce;
          totals.weightDistance += weights;
          totals.outputDistance += outputs;
          scheduler?.step();
          batches++;
          options.onProgress?.({ type: 'batch', step: 'fine-tune', batch: batches, epoch: epoch + 1, loss });
        }
      } finally {
        distillation?.detach();
      }
      if (batches === 0) {
        throw new Error(
          `fineTune: epoch ${epoch + 1} had no batches; for several epochs pass an array or a function (epoch) => batches, not a used-up generator`,
        );
      }
      const mean = (v: number) => v / batches;
      const entry: FineTuneEpoch = {
        epoch: epoch + 1,
        loss: mean(totals.loss),
        crossEntropy: mean(totals.crossEntropy),
        distillation: mean(totals.weightDistance + totals.outputDistance),
        weightDistance: mean(totals.weightDistance),
        outputDistance: mean(totals.outputDistance),
      };
      if (options.evaluation) entry.accuracy = await evaluate(model, options.evaluation);
      result.epochs.push(entry);
      options.onProgress?.({
        type: 'epoch',
        step: 'fine-tune',
        epoch: epoch + 1,
        epochs,
        loss: entry.loss,
        accuracy: entry.accuracy,
      });
    }
  } finally {
    optimizer.zeroGrad();
    optimizer.dispose();
    model.eval();
  }
  return result;
}

async function readScalar(t: Tensor): Promise<number> {
  try {
    return (await t.data())[0];
  } finally {
    t.dispose();
  }
}

function epochData(data: TrainingData, epoch: number): LabelledData {
  return typeof data === 'function' ? data(epoch) : data;
}

function makeOptimizer(model: nn.Module, options: FineTuneOptions): optim.Optimizer {
  const kind = options.optimizer ?? 'sgd';
  const params = model.parameters();
  const weightDecay = options.weightDecay ?? 0;
  if (kind === 'adam') return new optim.Adam(params, { lr: options.lr ?? 1e-3, weightDecay });
  if (kind === 'sgd') {
    return new optim.SGD(params, { lr: options.lr ?? 0.01, momentum: options.momentum ?? 0.9, weightDecay });
  }
  throw new Error(`fineTune: unknown optimizer '${String(kind)}'; use 'sgd' or 'adam'`);
}

function makeScheduler(
  optimizer: optim.Optimizer,
  options: FineTuneOptions,
  epochs: number,
): optim.LrScheduler | null {
  const schedule = options.schedule ?? 'constant';
  if (schedule === 'constant') return null;
  if (schedule !== 'cosine') return new optim.LrScheduler(optimizer, schedule);
  const perEpoch = options.batchesPerEpoch ?? (Array.isArray(options.data) ? options.data.length : undefined);
  if (perEpoch === undefined || !(perEpoch >= 1)) {
    throw new Error(
      "fineTune: the 'cosine' schedule needs the number of batches per epoch; pass batchesPerEpoch (or the data as an array)",
    );
  }
  return new optim.LrScheduler(
    optimizer,
    optim.cosineSchedule({ base: optimizer.lr, total: epochs * perEpoch }),
  );
}
