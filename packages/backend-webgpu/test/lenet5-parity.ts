import {
  argmax,
  type Backend,
  batches,
  createEngine,
  crossEntropy,
  type Engine,
  equal,
  optim,
  sum,
  type Tensor,
} from '@lowrank/core';
import { FASHION_MNIST_NORMALIZATION, type FashionMnist } from '@lowrank/fashion-mnist';
import { LeNet5 } from '@lowrank/models';

/**
 * Issue #8's check that training on WebGPU matches the CPU: LeNet-5 for one epoch on
 * Fashion-MNIST with the example's recipe (examples/train-lenet5), from the same initial
 * weights and the same batch order on both backends. Shared by the test and
 * benchmarks/webgpu/lenet5-parity.ts.
 */

const SAMPLE_SHAPE = [1, 28, 28];

export interface Lenet5ParityOptions {
  /** Train on the first `trainCount` images (default: all of the training set). */
  trainCount?: number;
  /** Default 16. */
  batchSize?: number;
  /** Peak learning rate of the one-cycle schedule; default 0.05. */
  lr?: number;
  /** Seed of the CPU model's initial weights and of the shuffle; default 0. */
  seed?: number;
}

export interface Lenet5Run {
  /** Top-1 test accuracy after the epoch, in [0, 1]. */
  accuracy: number;
  /** Mean training loss over the epoch. */
  loss: number;
  seconds: number;
}

export interface Lenet5Parity {
  cpu: Lenet5Run;
  webgpu: Lenet5Run;
  trainCount: number;
  testCount: number;
}

export async function lenet5Parity(
  /** The WebGPU backend (typed as core's Backend, so that a built copy of the package fits too). */
  backend: Backend,
  trainSet: FashionMnist,
  testSet: FashionMnist,
  options: Lenet5ParityOptions = {},
): Promise<Lenet5Parity> {
  const trainCount = Math.min(options.trainCount ?? trainSet.count, trainSet.count);
  const recipe = { batchSize: options.batchSize ?? 16, lr: options.lr ?? 0.05, seed: options.seed ?? 0 };
  const cpu = createEngine({ seed: recipe.seed });
  const gpu = createEngine({ seed: recipe.seed, backend });
  const cpuModel = new LeNet5(cpu);
  const gpuModel = new LeNet5(gpu);
  // The GPU model starts from the CPU model's weights, not from its own draw.
  const state = new Map<string, Tensor>();
  for (const [name, t] of cpuModel.stateDict()) state.set(name, gpu.tensor(await t.data(), t.shape, t.dtype));
  gpuModel.loadStateDict(state);
  for (const t of state.values()) t.dispose();
  const train = { ...trainSet, count: trainCount };
  const result = {
    cpu: await trainOneEpoch(cpu, cpuModel, train, testSet, recipe),
    webgpu: await trainOneEpoch(gpu, gpuModel, train, testSet, recipe),
    trainCount,
    testCount: testSet.count,
  };
  cpuModel.dispose();
  gpuModel.dispose();
  return result;
}

/** The example's training loop with asynchronous reads (WebGPU has no dataSync). */
async function trainOneEpoch(
  engine: Engine,
  model: LeNet5,
  trainSet: FashionMnist,
  testSet: FashionMnist,
  o: { batchSize: number; lr: number; seed: number },
): Promise<Lenet5Run> {
  const started = performance.now();
  const steps = Math.ceil(trainSet.count / o.batchSize);
  const opt = new optim.SGD(model.parameters(), {
    lr: o.lr,
    momentum: 0.9,
    nesterov: true,
    weightDecay: 5e-4,
  });
  const schedule = new optim.LrScheduler(opt, optim.oneCycleSchedule({ maxLr: o.lr, total: steps }));
  model.train();
  let lossSum = 0;
  for (const b of batches({
    images: trainSet.images,
    labels: trainSet.labels,
    count: trainSet.count,
    sampleShape: SAMPLE_SHAPE,
    batchSize: o.batchSize,
    shuffle: true,
    seed: o.seed,
    normalize: FASHION_MNIST_NORMALIZATION,
  })) {
    const loss = engine.tidy(() => {
      const l = crossEntropy(model.call(engine.fromData(b.x, b.xShape)), engine.fromData(b.y, [b.size]));
      opt.zeroGrad();
      l.backward();
      opt.step();
      return l;
    });
    lossSum += await loss.item();
    loss.dispose();
    schedule.step();
  }
  opt.zeroGrad();
  opt.dispose();
  const accuracy = await evaluate(engine, model, testSet);
  return { accuracy, loss: lossSum / steps, seconds: (performance.now() - started) / 1000 };
}

async function evaluate(engine: Engine, model: LeNet5, data: FashionMnist): Promise<number> {
  model.eval();
  let correct = 0;
  for (const b of batches({
    images: data.images,
    labels: data.labels,
    count: data.count,
    sampleShape: SAMPLE_SHAPE,
    batchSize: 500,
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
  return correct / data.count;
}
