import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Batch, type BatchOptions, batches } from '../../src/data/batches.js';

/** A small data set whose sample i is filled with i (mod 256) and labelled i mod 10. */
function dataset(count: number, sampleShape: number[]): Pick<BatchOptions, 'images' | 'labels' | 'count' | 'sampleShape'> {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const images = new Uint8Array(count * size);
  for (let i = 0; i < count; i++) images.fill(i % 256, i * size, (i + 1) * size);
  const labels = new Uint8Array(count).map((_, i) => i % 10);
  return { images, labels, count, sampleShape };
}

const order = (list: Batch[]): number[] => list.flatMap((b) => [...b.indices]);

describe('batches', () => {
  it('visits every sample exactly once per epoch, with the right pixels and labels', () => {
    fc.assert(
      fc.property(
        fc.nat(60),
        fc.integer({ min: 1, max: 16 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer(),
        (count, batchSize, shuffle, dropLast, seed) => {
          const list = [...batches({ ...dataset(count, [2, 3]), batchSize, shuffle, dropLast, seed })];
          const seen = order(list);
          const expected = dropLast ? count - (count % batchSize) : count;
          expect(seen.length).toBe(expected);
          expect(new Set(seen).size).toBe(expected);
          if (!dropLast) expect([...seen].sort((a, b) => a - b)).toEqual([...Array(count).keys()]);
          list.forEach((b, k) => {
            expect(b.size).toBe(k < list.length - 1 || dropLast ? batchSize : expected - k * batchSize);
            expect(b.xShape).toEqual([b.size, 2, 3]);
            expect(b.x.length).toBe(b.size * 6);
            b.indices.forEach((sample, j) => {
              expect(b.y[j]).toBe(sample % 10);
              expect(b.x.subarray(j * 6, (j + 1) * 6).every((v) => v === sample % 256)).toBe(true);
            });
          });
        },
      ),
    );
  });

  it('keeps the input order without shuffle', () => {
    expect(order([...batches({ ...dataset(7, [1]), batchSize: 3 })])).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('is deterministic for a seed, and different seeds give different orders', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), (a, b) => {
        fc.pre(a !== b);
        const run = (seed: number) => order([...batches({ ...dataset(100, [1]), batchSize: 8, shuffle: true, seed })]);
        expect(run(a)).toEqual(run(a));
        expect(run(a)).not.toEqual(run(b)); // two equal orders of 100 samples: chance 1/100!
      }),
    );
  });

  it('normalises as (value * scale - mean) / std', () => {
    const [batch] = batches({
      images: new Uint8Array([0, 51, 255]),
      labels: new Int32Array([4]),
      count: 1,
      sampleShape: [3],
      batchSize: 1,
      normalize: { scale: 1 / 255, mean: 0.5, std: 0.25 },
    });
    expect([...batch.x].map((v) => Number(v.toFixed(5)))).toEqual([-2, -1.2, 2]);
    expect(batch.y).toEqual(new Int32Array([4]));
  });

  it('takes float32 images as they are and uses only the first count samples', () => {
    const list = [
      ...batches({
        images: new Float32Array([0.5, -1, 7, 9]),
        labels: new Int32Array([1, 2, 3, 4]),
        count: 2,
        sampleShape: [],
        batchSize: 4,
      }),
    ];
    expect(list).toHaveLength(1);
    expect(list[0].x).toEqual(new Float32Array([0.5, -1]));
    expect(list[0].y).toEqual(new Int32Array([1, 2]));
  });

  it('gives each batch its own arrays', () => {
    const [a, b] = batches({ ...dataset(4, [1]), batchSize: 2 });
    a.x[0] = 99;
    expect(b.x.buffer).not.toBe(a.x.buffer);
    expect(b.x[0]).toBe(2);
  });

  it('rejects bad options with a clear message', () => {
    const base = dataset(4, [2]);
    const bad: [Partial<BatchOptions>, RegExp][] = [
      [{ batchSize: 0 }, /batchSize must be a positive integer/],
      [{ batchSize: 1.5 }, /batchSize must be a positive integer/],
      [{ count: 5 }, /images has 8 values, 5 samples of \[2\] need 10/],
      [{ labels: new Uint8Array(3) }, /labels has 3 entries, count is 4/],
      [{ sampleShape: [-2] }, /sampleShape must be non-negative integers/],
      [{ normalize: { std: 0 } }, /non-zero std/],
      [{ shuffle: true, seed: 0.5 }, /seed must be a safe integer/],
    ];
    for (const [change, message] of bad) {
      expect(() => batches({ ...base, batchSize: 2, ...change })).toThrow(message);
    }
  });
});
