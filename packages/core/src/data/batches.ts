import { SeededRandom } from './prng.js';

/** `x = (value * scale - mean) / std`, per element; e.g. `{ scale: 1 / 255, mean: 0.286, std: 0.353 }`. */
export interface Normalization {
  scale?: number;
  mean?: number;
  std?: number;
}

export interface BatchOptions {
  /** `count` samples of `sampleShape` each, row-major, one after the other. */
  images: Uint8Array | Float32Array;
  /** One class index per sample. */
  labels: Uint8Array | Int32Array;
  /** How many samples to use: the first `count` of `images` and `labels`. */
  count: number;
  sampleShape: readonly number[];
  batchSize: number;
  /** Visit the samples in a random order drawn from `seed` (default false: in order). */
  shuffle?: boolean;
  /** Seed of the shuffle (default 0); pass e.g. `seed + epoch` for a new order every epoch. */
  seed?: number;
  /** Leave out the last batch when it has fewer than `batchSize` samples (default false). */
  dropLast?: boolean;
  /** Applied while converting to float32; the default leaves values as they are. */
  normalize?: Normalization;
}

export interface Batch {
  /** `size` samples, shape `xShape` = `[size, ...sampleShape]`. */
  x: Float32Array;
  xShape: number[];
  /** The labels of the samples in `x`. */
  y: Int32Array;
  /** Number of samples in this batch (`batchSize`, or fewer for the last one). */
  size: number;
  /** Which samples of the input these are, in order. */
  indices: Int32Array;
}

/**
 * One epoch over a data set in mini-batches, every sample exactly once
 * (except those `dropLast` leaves out). The order depends only on `seed`.
 * Each batch has its own freshly allocated arrays, so a consumer may keep them.
 * @throws RangeError (at the call, not at the first batch) for a
 *   non-positive batch size, a bad shape or count, arrays shorter than
 *   `count` samples, a normalisation with std 0, or a seed that is not a
 *   safe integer.
 */
export function batches(options: BatchOptions): Generator<Batch, void, undefined> {
  const { images, labels, count, sampleShape, batchSize } = options;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batches: batchSize must be a positive integer, got ${batchSize}`);
  }
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`batches: count must be a non-negative integer, got ${count}`);
  }
  if (!sampleShape.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new RangeError(`batches: sampleShape must be non-negative integers, got [${sampleShape.join(', ')}]`);
  }
  const sampleSize = sampleShape.reduce((acc, n) => acc * n, 1);
  if (images.length < count * sampleSize) {
    throw new RangeError(
      `batches: images has ${images.length} values, ${count} samples of [${sampleShape.join(', ')}] need ${count * sampleSize}`,
    );
  }
  if (labels.length < count) {
    throw new RangeError(`batches: labels has ${labels.length} entries, count is ${count}`);
  }
  const scale = options.normalize?.scale ?? 1;
  const mean = options.normalize?.mean ?? 0;
  const std = options.normalize?.std ?? 1;
  if (!(std !== 0 && Number.isFinite(std) && Number.isFinite(scale) && Number.isFinite(mean))) {
    throw new RangeError(`batches: normalize needs finite scale and mean and a finite non-zero std`);
  }
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  if (options.shuffle) new SeededRandom(options.seed ?? 0).shuffle(order);
  const end = options.dropLast ? count - (count % batchSize) : count;
  // Folding the three into one multiply-add: x = value * a + b.
  const a = scale / std;
  const b = -mean / std;
  const shape = [...sampleShape];

  // The checks above run at the call; the loop below only when iterated.
  return (function* () {
    for (let start = 0; start < end; start += batchSize) {
      const size = Math.min(batchSize, end - start);
      const indices = order.slice(start, start + size);
      const x = new Float32Array(size * sampleSize);
      const y = new Int32Array(size);
      for (let k = 0; k < size; k++) {
        const sample = indices[k];
        const from = sample * sampleSize;
        const to = k * sampleSize;
        for (let j = 0; j < sampleSize; j++) x[to + j] = images[from + j] * a + b;
        y[k] = labels[sample];
      }
      yield { x, xShape: [size, ...shape], y, size, indices };
    }
  })();
}
