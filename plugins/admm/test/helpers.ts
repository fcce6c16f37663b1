import { type Engine, linalg, nn, type Tensor } from '@lowrank/core';
import type { AdmmBatch } from '../src/index.js';

/** A small MLP `in -> hidden -> classes` (children '0', '1', '2'), seeded by the engine. */
export function mlp(engine: Engine, sizes: [number, number, number] = [8, 12, 3]): nn.Sequential {
  const [i, h, o] = sizes;
  return new nn.Sequential(engine, [
    new nn.Linear(engine, i, h),
    new nn.ReLU(engine),
    new nn.Linear(engine, h, o),
  ]);
}

/**
 * A fixed synthetic classification set: `count` Gaussian inputs of `features` values, labels
 * from a random linear teacher. `round` batches of `batchSize`, in an order that depends on the round.
 */
export function syntheticData(features: number, classes: number, count = 96, seed = 7) {
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  const x = Float32Array.from({ length: count * features }, next);
  const teacher = Array.from({ length: classes * features }, next);
  const y = Int32Array.from({ length: count }, (_, n) => {
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let f = 0; f < features; f++) s += teacher[c * features + f] * x[n * features + f];
      if (s > bestScore) [best, bestScore] = [c, s];
    }
    return best;
  });
  return (batchSize: number) =>
    function* batches(round: number): Generator<AdmmBatch> {
      // Rotate the start by the round so that rounds differ but depend on nothing else.
      const offset = ((round * batchSize) / 2) % count;
      for (let start = 0; start < count; start += batchSize) {
        const size = Math.min(batchSize, count - start);
        const bx = new Float32Array(size * features);
        const by = new Int32Array(size);
        for (let k = 0; k < size; k++) {
          const n = (start + k + offset) % count;
          bx.set(x.subarray(n * features, (n + 1) * features), k * features);
          by[k] = y[n];
        }
        yield { x: bx, xShape: [size, features], y: by };
      }
    };
}

/** Singular values of a 2-D (or reshaped `O x rest`) weight, descending. */
export async function singularValues(w: Tensor): Promise<number[]> {
  const m = await linalg.toMatrix(w.reshape([w.shape[0], w.size / w.shape[0]]));
  return [...linalg.svd(m).s];
}

/** `sqrt(sum_{i >= r} s_i^2) / ‖s‖`: how far from rank r. */
export function tailFraction(s: readonly number[], r: number): number {
  const total = s.reduce((a, v) => a + v * v, 0);
  const tail = s.slice(r).reduce((a, v) => a + v * v, 0);
  return Math.sqrt(tail / total);
}
