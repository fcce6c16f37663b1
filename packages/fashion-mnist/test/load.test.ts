import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataFormatError, writeIdx } from '@lowrank/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_MEAN,
  FASHION_MNIST_NORMALIZATION,
  FASHION_MNIST_STD,
  loadFashionMnist,
} from '../src/index.js';

const perClass = (labels: Uint8Array): number[] => {
  const counts = new Array(10).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
};

describe('the bundled subset', () => {
  it('holds the first 6,000 training samples, all ten classes about equally', async () => {
    const train = await loadFashionMnist({ split: 'train' });
    expect(train.count).toBe(6000);
    expect(train.shape).toEqual([28, 28]);
    expect(train.images.length).toBe(6000 * 28 * 28);
    expect(train.labels.length).toBe(6000);
    // The start of Fashion-MNIST's training labels: ankle boot, T-shirt, T-shirt, dress...
    expect([...train.labels.subarray(0, 10)]).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    for (const count of perClass(train.labels)) expect(count).toBeGreaterThan(540); // 600 each if balanced
    expect(Math.max(...perClass(train.labels))).toBeLessThan(660);
  });

  it('has the pixel statistics of the normalisation constants', async () => {
    const { images } = await loadFashionMnist({ split: 'train' });
    let sum = 0;
    let squares = 0;
    for (const pixel of images) {
      const x = pixel * FASHION_MNIST_NORMALIZATION.scale;
      sum += x;
      squares += x * x;
    }
    const mean = sum / images.length;
    expect(mean).toBeCloseTo(FASHION_MNIST_MEAN, 2);
    expect(Math.sqrt(squares / images.length - mean * mean)).toBeCloseTo(FASHION_MNIST_STD, 2);
  });

  it('holds the first 1,000 test samples', async () => {
    const test = await loadFashionMnist({ source: 'bundled', split: 'test' });
    expect(test.count).toBe(1000);
    expect(test.images.length).toBe(1000 * 784);
    expect([...test.labels.subarray(0, 5)]).toEqual([9, 2, 1, 1, 6]);
    for (const count of perClass(test.labels)) expect(count).toBeGreaterThan(80);
  });

  it('names the ten classes in label order', () => {
    expect(FASHION_MNIST_CLASSES).toHaveLength(10);
    expect(FASHION_MNIST_CLASSES[0]).toBe('T-shirt/top');
    expect(FASHION_MNIST_CLASSES[9]).toBe('Ankle boot');
  });
});

describe('a directory source', () => {
  let dir: string;
  const images = Uint8Array.from({ length: 3 * 784 }, (_, i) => i % 256);
  const labels = new Uint8Array([4, 0, 9]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lowrank-fmnist-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads gzip and plain IDX files under the usual names', async () => {
    await writeFile(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(writeIdx([3, 28, 28], images)));
    await writeFile(join(dir, 't10k-labels-idx1-ubyte'), writeIdx([3], labels));
    const test = await loadFashionMnist({ source: dir, split: 'test' });
    expect(test.count).toBe(3);
    expect(test.images).toEqual(images);
    expect(test.labels).toEqual(labels);
  });

  it('says which file is missing and where', async () => {
    await expect(loadFashionMnist({ source: dir, split: 'train' })).rejects.toThrow(
      `Fashion-MNIST not found: no train-images-idx3-ubyte.gz or train-images-idx3-ubyte in ${dir}/; pass a directory`,
    );
  });

  it('rejects files that are not Fashion-MNIST', async () => {
    const write = async (imageShape: number[], imageData: Uint8Array, labelData: Uint8Array) => {
      await writeFile(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(writeIdx(imageShape, imageData)));
      await writeFile(
        join(dir, 'train-labels-idx1-ubyte.gz'),
        gzipSync(writeIdx([labelData.length], labelData)),
      );
    };
    await write([3, 28, 27], new Uint8Array(3 * 28 * 27), labels);
    await expect(loadFashionMnist({ source: dir, split: 'train' })).rejects.toThrow(
      /images must be u8 of shape \[n, 28, 28\], got \[3, 28, 27\]/,
    );
    await write([3, 28, 28], images, new Uint8Array([1, 2]));
    await expect(loadFashionMnist({ source: dir, split: 'train' })).rejects.toThrow(
      /labels must be u8 of shape \[3\], got \[2\]/,
    );
    await write([3, 28, 28], images, new Uint8Array([1, 10, 2]));
    await expect(loadFashionMnist({ source: dir, split: 'train' })).rejects.toThrow(DataFormatError);
    await expect(loadFashionMnist({ source: dir, split: 'train' })).rejects.toThrow(
      /label 1 is 10, expected 0 to 9/,
    );
  });
});
