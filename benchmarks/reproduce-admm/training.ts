import {
  add,
  argmax,
  batches,
  createEngine,
  crossEntropy,
  type Engine,
  equal,
  type nn,
  optim,
  sum,
  type Tensor,
} from '@lowrank/core';
import { FASHION_MNIST_NORMALIZATION, type FashionMnist } from '@lowrank/fashion-mnist';

const SAMPLE_SHAPE = [1, 28, 28];
const EVAL_BATCH = 500;

/** The training recipe shared by every arm (SGD with Nesterov momentum, as examples/train-lenet5). */
export interface Recipe {
  batchSize: number;
  /** Peak lr of the one-cycle schedule of the dense pretraining. */
  lr: number;
  /** Starting lr of the cosine schedules after pretraining (dense continuation, ADMM, fine-tuning). */
  lrAfter: number;
  momentum: number;
  weightDecay: number;
  seed: number;
}

/** An engine on the chosen backend; `close` frees the GPU device. */
export async function openEngine(
  backend: 'cpu' | 'webgpu',
  seed: number,
): Promise<{ engine: Engine; close(): void }> {
  if (backend === 'cpu') return { engine: createEngine({ seed }), close() {} };
  const { createWebGpuBackend } = await import('@lowrank/backend-webgpu');
  const gpu = await createWebGpuBackend();
  return { engine: createEngine({ seed, backend: gpu }), close: () => gpu.dispose() };
}

/** The shuffled training batches of one epoch; the order depends only on the seed and the epoch. */
export function epochBatches(data: FashionMnist, recipe: Recipe, epoch: number) {
  return batches({
    images: data.images,
    labels: data.labels,
    count: data.count,
    sampleShape: SAMPLE_SHAPE,
    batchSize: recipe.batchSize,
    shuffle: true,
    seed: recipe.seed * 1000 + epoch,
    normalize: FASHION_MNIST_NORMALIZATION,
  });
}

export function sgd(model: nn.Module, recipe: Recipe): optim.SGD {
  return new optim.SGD(model.parameters(), {
    lr: recipe.lr,
    momentum: recipe.momentum,
    nesterov: true,
    weightDecay: recipe.weightDecay,
  });
}

export function stepsPerEpoch(data: FashionMnist, recipe: Recipe): number {
  return Math.ceil(data.count / recipe.batchSize);
}

/**
 * Plain training for `epochs` epochs, numbered from `firstEpoch` (which fixes the batch
 * order), the lr following `schedule` by step. The loss is summed on the device and read
 * once per epoch (each read is a GPU sync). Returns the mean loss of each epoch.
 */
export async function train(
  engine: Engine,
  model: nn.Module,
  data: FashionMnist,
  recipe: Recipe,
  options: {
    epochs: number;
    firstEpoch: number;
    schedule: optim.Schedule;
    onEpoch?: (epoch: number, loss: number) => void;
  },
): Promise<number[]> {
  const optimizer = sgd(model, recipe);
  const losses: number[] = [];
  model.train();
  for (let e = 0; e < options.epochs; e++) {
    let total: Tensor = engine.keep(engine.scalar(0));
    let steps = 0;
    for (const b of epochBatches(data, recipe, options.firstEpoch + e)) {
      optimizer.lr = options.schedule.lr(optimizer.stepCount);
      const next = engine.tidy(() => {
        const loss = crossEntropy(model.call(engine.fromData(b.x, b.xShape)), engine.fromData(b.y, [b.size]));
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        return engine.noGrad(() => add(total, loss.detach()));
      });
      total.dispose();
      total = engine.keep(next);
      steps++;
    }
    const mean = (await total.item()) / steps;
    total.dispose();
    losses.push(mean);
    options.onEpoch?.(options.firstEpoch + e, mean);
  }
  optimizer.zeroGrad();
  optimizer.dispose();
  return losses;
}

/** Top-1 accuracy in eval mode without gradients. */
export async function evaluate(engine: Engine, model: nn.Module, data: FashionMnist): Promise<number> {
  model.eval();
  let correct = 0;
  for (const b of batches({
    images: data.images,
    labels: data.labels,
    count: data.count,
    sampleShape: SAMPLE_SHAPE,
    batchSize: EVAL_BATCH,
    normalize: FASHION_MNIST_NORMALIZATION,
  })) {
    const hits = engine.noGrad(() =>
      engine.tidy(() =>
        sum(equal(argmax(model.call(engine.fromData(b.x, b.xShape)), 1), engine.fromData(b.y, [b.size]))),
      ),
    );
    correct += await hits.item();
    hits.dispose();
  }
  model.train();
  return correct / data.count;
}
