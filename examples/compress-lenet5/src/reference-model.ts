import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { fineTune } from '@lowrank/compress';
import type { Engine } from '@lowrank/core';
import { loadWeightsFile } from '@lowrank/core/node';
import { type FashionMnist, tensorBatches } from '@lowrank/fashion-mnist';
import { LeNet5 } from '@lowrank/models';

/** PyTorch's reference LeNet-5 (shared/models beside the repository). */
export const REFERENCE_WEIGHTS = fileURLToPath(
  new URL('../../../../shared/models/fmnist-lenet5.safetensors', import.meta.url),
);

/**
 * The reference LeNet-5: PyTorch's weights when the file is there, otherwise trained
 * here on the bundled training images (6 epochs, the train-lenet5 recipe, ~80 s).
 */
export async function referenceModel(
  engine: Engine,
  trainSet: FashionMnist,
  weights = REFERENCE_WEIGHTS,
  log: (line: string) => void = () => {},
): Promise<{ model: LeNet5; source: string }> {
  const model = new LeNet5(engine);
  if (await exists(weights)) {
    await loadWeightsFile(model, weights);
    return { model, source: weights };
  }
  const epochs = 6;
  const batchSize = 128;
  log(`no reference weights at ${weights}; training LeNet-5 on the bundled subset (${epochs} epochs)`);
  await fineTune(model, [], {
    data: (epoch) => tensorBatches(engine, trainSet, { batchSize, shuffleSeed: epoch }),
    epochs,
    lr: 0.05,
    momentum: 0.9,
    weightDecay: 5e-4,
    schedule: 'cosine',
    batchesPerEpoch: Math.ceil(trainSet.count / batchSize),
    lambda: 0,
    seed: 0,
    onProgress: (e) => {
      if (e.type === 'epoch') log(`  epoch ${e.epoch}/${e.epochs}: loss ${e.loss.toFixed(4)}`);
    },
  });
  return { model, source: `trained here on the bundled subset (${epochs} epochs)` };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
