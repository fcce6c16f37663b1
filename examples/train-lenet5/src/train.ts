import { argmax, batches, crossEntropy, type Engine, equal, optim, sum } from '@lowrank/core';
import { FASHION_MNIST_NORMALIZATION, type FashionMnist } from '@lowrank/fashion-mnist';
import type { LeNet5 } from '@lowrank/models';
import { ProgressBar } from './progress.js';

const SAMPLE_SHAPE = [1, 28, 28];

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  /** Peak learning rate of the one-cycle schedule. */
  lr: number;
  momentum: number;
  weightDecay: number;
  seed: number;
  /** Progress bars on stderr (default true). */
  progress?: boolean;
  onEpoch?: (epoch: number, loss: number, testAccuracy: number) => void;
}

/**
 * The reference recipe of shared/models: SGD with Nesterov momentum and weight
 * decay under a one-cycle schedule (PyTorch's OneCycleLR defaults), batch 128.
 */
export function train(
  engine: Engine,
  model: LeNet5,
  trainSet: FashionMnist,
  testSet: FashionMnist,
  o: TrainOptions,
): number {
  const stepsPerEpoch = Math.ceil(trainSet.count / o.batchSize);
  const opt = new optim.SGD(model.parameters(), {
    lr: o.lr,
    momentum: o.momentum,
    nesterov: true,
    weightDecay: o.weightDecay,
  });
  const schedule = new optim.LrScheduler(
    opt,
    optim.oneCycleSchedule({ maxLr: o.lr, total: o.epochs * stepsPerEpoch }),
  );
  let accuracy = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    model.train();
    const bar =
      o.progress === false ? null : new ProgressBar(`epoch ${epoch + 1}/${o.epochs}`, stepsPerEpoch);
    let lossSum = 0;
    let step = 0;
    for (const b of batches({
      images: trainSet.images,
      labels: trainSet.labels,
      count: trainSet.count,
      sampleShape: SAMPLE_SHAPE,
      batchSize: o.batchSize,
      shuffle: true,
      seed: o.seed + epoch,
      normalize: FASHION_MNIST_NORMALIZATION,
    })) {
      const loss = engine.tidy(() => {
        const l = crossEntropy(model.call(engine.fromData(b.x, b.xShape)), engine.fromData(b.y, [b.size]));
        opt.zeroGrad();
        l.backward();
        opt.step();
        return l;
      });
      lossSum += loss.itemSync();
      loss.dispose();
      schedule.step();
      step++;
      bar?.update(step, `loss ${(lossSum / step).toFixed(4)}`);
    }
    bar?.finish();
    accuracy = evaluate(engine, model, testSet);
    o.onEpoch?.(epoch + 1, lossSum / step, accuracy);
  }
  opt.zeroGrad();
  opt.dispose();
  return accuracy;
}

/** Top-1 accuracy on a data set, in eval mode and without gradients. */
export function evaluate(engine: Engine, model: LeNet5, data: FashionMnist, batchSize = 1000): number {
  model.eval();
  let correct = 0;
  for (const b of batches({
    images: data.images,
    labels: data.labels,
    count: data.count,
    sampleShape: SAMPLE_SHAPE,
    batchSize,
    normalize: FASHION_MNIST_NORMALIZATION,
  })) {
    const hits = engine.noGrad(() =>
      engine.tidy(() =>
        sum(equal(argmax(model.call(engine.fromData(b.x, b.xShape)), 1), engine.fromData(b.y, [b.size]))),
      ),
    );
    correct += hits.itemSync();
    hits.dispose();
  }
  return correct / data.count;
}
