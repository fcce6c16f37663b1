import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cosinePrediction, imprintedWeights, LwiqStatistics, unitVector } from '../src/index.js';
import { referencePrediction, referenceWeights } from './reference.js';

/** 1-60 samples of 1-6 channels with labels 0-4. */
const samples = fc.integer({ min: 1, max: 6 }).chain((channels) =>
  fc.array(
    fc.record({
      embedding: fc.array(
        fc.integer({ min: -1000, max: 1000 }).map((n) => n / 100),
        {
          minLength: channels,
          maxLength: channels,
        },
      ),
      label: fc.integer({ min: 0, max: 4 }),
    }),
    { minLength: 1, maxLength: 60 },
  ),
);

function imprintAll(embeddings: number[][], labels: number[]): LwiqStatistics {
  const stats = new LwiqStatistics('layer', embeddings[0].length, embeddings.length);
  stats.add(embeddings.flat(), labels);
  return stats;
}

describe('weight imprinting', () => {
  it('on hand-made features: weights are the normalised means of normalised embeddings, predictions the highest cosine', () => {
    // Class 0 along +x (lengths 1 and 3), class 1 along +y and +x+y: its weight is the
    // normalised mean of (0, 1) and (1, 1)/sqrt(2).
    const stats = imprintAll(
      [
        [1, 0],
        [3, 0],
        [0, 2],
        [5, 5],
      ],
      [0, 0, 1, 1],
    );
    const weights = stats.classWeights();
    expect([...weights.keys()]).toEqual([0, 1]);
    expect(Array.from(weights.get(0) as Float64Array)).toEqual([1, 0]);
    const s = Math.SQRT1_2;
    const mean = [s / 2, (1 + s) / 2];
    const length = Math.hypot(mean[0], mean[1]);
    const w1 = Array.from(weights.get(1) as Float64Array);
    expect(w1[0]).toBeCloseTo(mean[0] / length, 14);
    expect(w1[1]).toBeCloseTo(mean[1] / length, 14);
    // w1 points at 67.5 degrees, so the boundary is the bisector at 33.75 degrees: 26.6
    // degrees is class 0, 45 degrees class 1, and the length of a sample does not matter.
    expect(cosinePrediction(weights, [1, 0.5])).toBe(0);
    expect(cosinePrediction(weights, [100, 50])).toBe(0);
    expect(cosinePrediction(weights, [1, 1])).toBe(1);
    expect(cosinePrediction(weights, [-1, 0.1])).toBe(1);
  });

  it('ties and zero embeddings go to the smallest label', () => {
    const weights = imprintedWeights(
      new Map([
        [3, Float64Array.from([0, 2])],
        [1, Float64Array.from([2, 0])],
      ]),
    );
    expect(cosinePrediction(weights, [1, 1])).toBe(1);
    expect(cosinePrediction(weights, [0, 0])).toBe(1);
    expect(Array.from(unitVector([0, 0]))).toEqual([0, 0]);
  });

  it('equals the closed form on random features (weights within 1e-12, predictions exactly)', () => {
    fc.assert(
      fc.property(samples, samples, (train, test) => {
        const channels = train[0].embedding.length;
        const queries = test.map((t) => Array.from({ length: channels }, (_, j) => t.embedding[j] ?? 0));
        const embeddings = train.map((t) => t.embedding);
        const labels = train.map((t) => t.label);
        const weights = imprintAll(embeddings, labels).classWeights();
        const expected = referenceWeights(embeddings, labels);
        expect([...weights.keys()]).toEqual([...expected.keys()]);
        for (const [label, w] of expected) {
          const got = weights.get(label) as Float64Array;
          for (let j = 0; j < channels; j++) expect(Math.abs(got[j] - w[j])).toBeLessThan(1e-12);
        }
        for (const q of queries) {
          // Compare only when the best cosine is clear of the runner-up by more than rounding.
          const cosines = [...expected.values()].map((w) => {
            const n = Math.hypot(...q) * Math.hypot(...w);
            return n > 0 ? w.reduce((s, x, j) => s + x * q[j], 0) / n : 0;
          });
          const sorted = [...cosines].sort((a, b) => b - a);
          if (sorted.length > 1 && sorted[0] - sorted[1] < 1e-9) continue;
          expect(cosinePrediction(weights, q)).toBe(referencePrediction(expected, q));
        }
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});
