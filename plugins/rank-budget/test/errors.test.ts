import { convLayer } from '@lowrank/core/testing';
import { describe, expect, it } from 'vitest';
import { rankBudget } from '../src/index.js';
import { context, engine } from './fixtures.js';

const info = convLayer('conv2', 16, 6, [5, 5], { inputSize: [14, 14] });
const ctx = context('tucker2', [{ info, weight: engine.zeros(info.weightShape) }]);

describe('rank-budget errors', () => {
  it('refuses a budget it cannot meet at the minimum ranks, saying what the minimum costs', async () => {
    await expect(rankBudget().select(ctx, { kind: 'params', value: 10 })).rejects.toThrow(
      /budget \(at most 10 params over the selected layers\) cannot be met: at the minimum ranks the selected layers have \d+ params/,
    );
  });

  it('refuses non-positive or non-finite budget values and unknown kinds', async () => {
    await expect(rankBudget().select(ctx, { kind: 'ratio', value: 0 })).rejects.toThrow(
      /must be a positive number, got 0/,
    );
    await expect(rankBudget().select(ctx, { kind: 'params', value: Number.NaN })).rejects.toThrow(
      /positive number/,
    );
    await expect(rankBudget().select(ctx, { kind: 'size' as 'params', value: 2 })).rejects.toThrow(
      /unknown budget kind 'size'/,
    );
  });

  it("refuses a 'model' budget without the rest of the model's cost", async () => {
    const budget = { kind: 'ratio', value: 2, scope: 'model' } as unknown as Parameters<
      ReturnType<typeof rankBudget>['select']
    >[1];
    await expect(rankBudget().select(ctx, budget)).rejects.toThrow(/needs `rest`/);
  });

  it('refuses minimum ranks of the wrong count or value, naming the layer', async () => {
    await expect(
      rankBudget({ minRanks: { conv2: [2] } }).select(ctx, { kind: 'ratio', value: 2 }),
    ).rejects.toThrow(/minRanks for layer 'conv2' has 1 entries; the layer has 2 ranks/);
    await expect(
      rankBudget({ minRanks: { conv2: 0 } }).select(ctx, { kind: 'ratio', value: 2 }),
    ).rejects.toThrow(/minimum rank 0 for layer 'conv2'/);
    expect(() => rankBudget({ minRank: 1.5 })).toThrow(/minRank must be a positive integer/);
    expect(() => rankBudget({ fraction: 2 })).toThrow(/fraction must be in \[0, 1\]/);
  });

  it('asks for a budget or a fixed fraction when select gets neither', async () => {
    await expect(rankBudget().select(ctx)).rejects.toThrow(/needs a budget, or a `fraction`/);
  });
});
