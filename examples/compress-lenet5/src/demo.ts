import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type CompressionReport, compress, evaluate, type ProgressEvent } from '@lowrank/compress';
import { createEngine } from '@lowrank/core';
import { loadModuleFile, saveModuleFile } from '@lowrank/core/node';
import { loadFashionMnist, tensorBatches } from '@lowrank/fashion-mnist';
import { modelBuilders } from '@lowrank/models';
import { sigma } from '@lowrank/norm-sigma';
import { rankBudget } from '@lowrank/rank-budget';
import { svd, moduleBuilders as svdBuilders } from '@lowrank/svd';
import { tucker2, moduleBuilders as tucker2Builders } from '@lowrank/tucker2';
import { referenceModel } from './reference-model.js';

export interface DemoOptions {
  /** Whole-model compression ratio (params before / after). */
  ratio: number;
  /** Epochs of fine-tuning with distillation on the bundled training images (0: none). */
  fineTuneEpochs: number;
  lambda: number;
  lr: number;
  /** The dense model's weights (trained here when the file is missing). */
  weights: string;
  /** Where the compressed model is saved. */
  out: string;
  seed: number;
  onProgress?: (event: ProgressEvent) => void;
  log?: (line: string) => void;
}

export interface DemoResult {
  report: CompressionReport;
  /** Where the dense model came from. */
  source: string;
  /** Test accuracy of the model reloaded from `out`. */
  reloadedAccuracy: number;
}

/** Fine-tuning batch size. */
export const BATCH_SIZE = 64;

/**
 * The demo: LeNet-5 compressed with Tucker2-Sigma (conv2) and SVD-Sigma (fc1, fc2) to
 * a whole-model ratio by the budget selector (conv2's ranks floored at [8, 4], as its
 * few parameters matter to accuracy), calibrated on 1,000 bundled training images,
 * evaluated on the 1,000 bundled test images, optionally fine-tuned, saved, reloaded.
 */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const log = o.log ?? (() => {});
  const engine = createEngine({ seed: o.seed })
    .use(tucker2())
    .use(svd())
    .use(sigma())
    .use(rankBudget({ minRanks: { conv2: [8, 4] } }));
  const trainSet = await loadFashionMnist({ split: 'train' });
  const testSet = await loadFashionMnist({ split: 'test' });
  const { model, source } = await referenceModel(engine, trainSet, o.weights, log);
  log(`LeNet-5 (${model.numParameters()} params) from ${source}`);

  const test = tensorBatches(engine, testSet, { batchSize: 500 });
  const { report } = await compress(engine, model, {
    decomposition: { conv: 'tucker2', linear: 'svd' },
    norm: 'sigma',
    ranks: { selector: 'rank-budget', budget: { kind: 'ratio', value: o.ratio, scope: 'model' } },
    calibration: tensorBatches(engine, trainSet, { batchSize: 250, count: 1000 }),
    evaluation: test,
    fineTune:
      o.fineTuneEpochs > 0
        ? {
            data: (epoch) =>
              tensorBatches(engine, trainSet, { batchSize: BATCH_SIZE, shuffleSeed: o.seed + epoch }),
            epochs: o.fineTuneEpochs,
            optimizer: 'sgd',
            lr: o.lr,
            momentum: 0.9,
            schedule: 'cosine',
            batchesPerEpoch: Math.ceil(trainSet.count / BATCH_SIZE),
            lambda: o.lambda,
          }
        : undefined,
    seed: o.seed,
    onProgress: o.onProgress,
  });

  await mkdir(dirname(o.out), { recursive: true });
  await saveModuleFile(o.out, model);
  const reloaded = await loadModuleFile(engine, o.out, {
    ...modelBuilders,
    ...svdBuilders,
    ...tucker2Builders,
  });
  const reloadedAccuracy = await evaluate(reloaded, test);
  const finalAccuracy = report.accuracy?.fineTuned ?? report.accuracy?.after;
  if (reloaded.numParameters() !== model.numParameters() || reloadedAccuracy !== finalAccuracy) {
    throw new Error(
      `the saved model does not reload as it was: ${reloaded.numParameters()} params (expected ${model.numParameters()}), accuracy ${reloadedAccuracy} (expected ${finalAccuracy})`,
    );
  }
  return { report, source, reloadedAccuracy };
}
