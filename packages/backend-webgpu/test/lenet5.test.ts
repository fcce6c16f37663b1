import { loadFashionMnist } from '@lowrank/fashion-mnist';
import { describe, expect, it } from 'vitest';
import { createWebGpuBackend } from '../src/index.js';
import { lenet5Parity } from './lenet5-parity.js';

/**
 * The software adapter needs about a second per training step, so the test trains on
 * the first 2,000 images (125 steps) rather than the bundled 6,000;
 * benchmarks/webgpu/lenet5-parity.ts runs the whole subset.
 */
const TRAIN_COUNT = 2000;

describe('LeNet-5 on Fashion-MNIST', () => {
  it(
    `one epoch on ${TRAIN_COUNT} images gives the CPU's test accuracy within 1 point`,
    async () => {
      const backend = await createWebGpuBackend();
      try {
        const [trainSet, testSet] = await Promise.all([
          loadFashionMnist({ split: 'train' }),
          loadFashionMnist({ split: 'test' }),
        ]);
        const r = await lenet5Parity(backend, trainSet, testSet, { trainCount: TRAIN_COUNT });
        // It learnt something, so agreeing is not trivial (chance is 0.1).
        expect(r.cpu.accuracy).toBeGreaterThan(0.5);
        expect(Math.abs(r.webgpu.accuracy - r.cpu.accuracy)).toBeLessThanOrEqual(0.01);
      } finally {
        backend.dispose();
      }
    },
    15 * 60_000,
  );
});
