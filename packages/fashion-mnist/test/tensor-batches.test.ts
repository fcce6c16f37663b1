import { createEngine } from '@lowrank/core';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, loadFashionMnist, tensorBatches } from '../src/index.js';

describe('tensorBatches', () => {
  it('can be iterated again and frees each batch after use', async () => {
    const engine = createEngine();
    const set = await loadFashionMnist({ split: 'test' });
    const data = tensorBatches(engine, set, { batchSize: 300, count: 700 });
    const live = engine.memory().tensors;
    for (let pass = 0; pass < 2; pass++) {
      const sizes: number[] = [];
      for (const { inputs, labels } of data) {
        sizes.push(inputs.shape[0]);
        expect(inputs.shape.slice(1)).toEqual([1, 28, 28]);
        expect(labels?.shape).toEqual([inputs.shape[0]]);
      }
      expect(sizes).toEqual([300, 300, 100]);
      expect(engine.memory().tensors).toBe(live);
    }
  });

  it('normalises the pixels and keeps the labels, in order without a seed and shuffled with one', async () => {
    const engine = createEngine();
    const set = await loadFashionMnist({ split: 'test' });
    // A batch lives until the iterator moves on, so each is read inside the loop.
    const firstBatch = (shuffleSeed?: number) => {
      for (const { inputs, labels } of tensorBatches(engine, set, { batchSize: 64, shuffleSeed })) {
        return { pixels: Array.from(inputs.dataSync()), labels: Array.from(labels?.dataSync() ?? []) };
      }
      throw new Error('no batch');
    };
    const inOrder = firstBatch();
    expect(inOrder.labels).toEqual(Array.from(set.labels.subarray(0, 64)));
    expect(inOrder.pixels[200]).toBeCloseTo(
      (set.images[200] / 255 - FASHION_MNIST_MEAN) / FASHION_MNIST_STD,
      5,
    );
    const shuffled = firstBatch(1);
    expect(shuffled.labels).toEqual(firstBatch(1).labels);
    expect(shuffled.labels).not.toEqual(inOrder.labels);
  });
});
