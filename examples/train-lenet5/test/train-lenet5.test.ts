import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createEngine } from '@lowrank/core';
import { loadWeightsFile } from '@lowrank/core/node';
import { loadFashionMnist } from '@lowrank/fashion-mnist';
import { LeNet5 } from '@lowrank/models';
import { describe, expect, it } from 'vitest';
import { evaluate, train } from '../src/train.js';

const MODELS = fileURLToPath(new URL('../../../../shared/models/', import.meta.url));

describe('train-lenet5', () => {
  it('one epoch on the bundled subset reaches more than 75% test accuracy, leaking no tensors', async () => {
    const engine = createEngine({ seed: 0 });
    const model = new LeNet5(engine);
    const before = engine.memory().tensors;
    const trainSet = await loadFashionMnist({ source: 'bundled', split: 'train' });
    const testSet = await loadFashionMnist({ source: 'bundled', split: 'test' });
    const losses: number[] = [];
    const accuracy = train(engine, model, trainSet, testSet, {
      epochs: 1,
      batchSize: 16,
      lr: 0.05,
      momentum: 0.9,
      weightDecay: 5e-4,
      seed: 0,
      progress: false,
      onEpoch: (_e, loss) => losses.push(loss),
    });
    expect(accuracy).toBeGreaterThan(0.75);
    expect(losses[0]).toBeLessThan(Math.log(10));
    expect(engine.memory().tensors).toBe(before);
  });

  it('the PyTorch reference weights give the reference test accuracy (0.9046) to 0.1 point on the full test set', async () => {
    const reference = JSON.parse(await readFile(`${MODELS}fmnist-lenet5.json`, 'utf8')) as {
      test_accuracy: number;
    };
    const engine = createEngine();
    const model = new LeNet5(engine);
    await loadWeightsFile(model, `${MODELS}fmnist-lenet5.safetensors`);
    const testSet = await loadFashionMnist({ source: 'full', split: 'test' });
    expect(testSet.count).toBe(10_000);
    expect(Math.abs(evaluate(engine, model, testSet) - reference.test_accuracy)).toBeLessThanOrEqual(0.001);
  });
});
