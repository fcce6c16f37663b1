import { createEngine } from '@lowrank/core';
import { describe, expect, it } from 'vitest';
import { rankLoss } from '../src/index.js';

describe('rankLoss', () => {
  it('is gamma * sum_i (sum_r p_i^r r / max R_i)^beta on a hand case', () => {
    const engine = createEngine();
    const p1 = engine.tensor([0.25, 0.75], [2], 'float64');
    const p2 = engine.tensor([0.5, 0.3, 0.2], [3], 'float64');
    const loss = rankLoss(
      [
        { probabilities: p1, ranks: [10, 20], maxRank: 20 },
        { probabilities: p2, ranks: [8, 16, 32], maxRank: 64 },
      ],
      0.4,
      0.8,
    );
    // Layer 1: 0.25 * 0.5 + 0.75 * 1 = 0.875; layer 2: (0.5 * 8 + 0.3 * 16 + 0.2 * 32) / 64 = 15.2 / 64.
    const expected = 0.4 * (0.875 ** 0.8 + (15.2 / 64) ** 0.8);
    expect(loss.itemSync()).toBeCloseTo(expected, 12);
  });

  it('refuses an empty list of layers', () => {
    expect(() => rankLoss([], 0.4, 0.8)).toThrow(/at least one layer/);
  });
});
