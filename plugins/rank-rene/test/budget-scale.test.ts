import { linearLayer } from '@lowrank/core/testing';
import { svd } from '@lowrank/svd';
import { describe, expect, it } from 'vitest';
import { scaledScalars, scaleToBudget } from '../src/index.js';

describe('scaleToBudget', () => {
  const decomposition = svd();
  const layers = [linearLayer('a', 20, 30, false), linearLayer('b', 10, 40, false)].map((info, i) => ({
    info,
    spec: decomposition.rankSpec(info),
    scalar: [8, 6][i],
  }));

  it('finds the largest scale k / r_i whose ranks floor(t r_i) meet the budget (hand case: 3/8)', () => {
    // SVD of a linear layer costs r (O + I) = 50 r here; 3x fewer than 1000 dense params
    // allows floor(8t) + floor(6t) <= 6: t = 3/8 gives 3 + 2, the next step t = 1/2 gives 4 + 3.
    const t = scaleToBudget(decomposition, layers, { kind: 'ratio', value: 3 });
    expect(t).toBe(3 / 8);
    expect(scaledScalars(layers, t)).toEqual([3, 2]);
  });

  it('grows the ranks when the search landed under the budget, up to the bounds', () => {
    const t = scaleToBudget(decomposition, layers, { kind: 'params', value: 10_000 });
    expect(scaledScalars(layers, t)).toEqual([20, 10]);
  });

  it('refuses a budget that rank 1 everywhere cannot meet', () => {
    expect(() => scaleToBudget(decomposition, layers, { kind: 'params', value: 50 })).toThrow(
      /cannot be met/,
    );
  });
});
