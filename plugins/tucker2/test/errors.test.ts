import { createEngine } from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import { describe, expect, it } from 'vitest';
import { tucker2 } from '../src/index.js';

const engine = createEngine();
const plugin = tucker2();
const conv = convLayer('features.0', 4, 3, [3, 2]);
const weight = () => engine.randn(conv.weightShape, { dtype: 'float64', seed: 1 });

describe('tucker2 errors name the layer, the rank and the bound', () => {
  it('a grouped conv is refused by supports() and decompose() with the reason and what to do', async () => {
    const grouped = convLayer('features.3', 4, 4, [3, 3], { groups: 2 });
    const support = plugin.supports(grouped);
    expect(support.ok).toBe(false);
    if (!support.ok) expect(support.reason).toMatch(/groups = 2.*split it/);
    await expect(plugin.decompose(engine.randn(grouped.weightShape), grouped, [1, 1])).rejects.toThrow(
      /'features\.3'.*grouped/,
    );
  });

  it('the rank bounds are the unfolding ranks: [min(O, I*K), min(I, O*K)]', () => {
    expect(plugin.rankSpec(conv).max).toEqual([4, 3]);
    expect(plugin.rankSpec(convLayer('wide', 64, 2, [1, 1])).max).toEqual([2, 2]);
    expect(plugin.rankSpec(linearLayer('fc', 3, 10)).max).toEqual([3, 3]);
  });

  it.each([
    [[0, 1], /R1 \(out\) = 0 of 'features\.0'.*\[1, 4\]/],
    [[5, 1], /R1 \(out\) = 5 of 'features\.0'.*\[1, 4\]/],
    [[1, 4], /R2 \(in\) = 4 of 'features\.0'.*\[1, 3\]/],
    [[2, 1.5], /R2 \(in\) = 1\.5 of 'features\.0'/],
    [[2], /'features\.0' takes 2 rank\(s\) \[R1 \(out\), R2 \(in\)\], got \[2\]/],
  ])('ranks %j are refused by decompose() and cost()', async (ranks, message) => {
    await expect(plugin.decompose(weight(), conv, ranks)).rejects.toThrow(message);
    expect(() => plugin.cost(conv, ranks)).toThrow(message);
  });

  it('NaN and Inf weights are refused, naming the layer', async () => {
    for (const bad of [Number.NaN, Number.NEGATIVE_INFINITY]) {
      const data = new Float64Array(72).fill(1);
      data[5] = bad;
      await expect(plugin.decompose(engine.fromData(data, conv.weightShape), conv, [2, 2])).rejects.toThrow(
        new RegExp(`'features\\.0' has ${bad} at flat index 5`),
      );
    }
  });

  it('a weight whose shape differs from the layer info is refused', async () => {
    await expect(plugin.decompose(engine.randn([3, 4, 3, 2]), conv, [2, 2])).rejects.toThrow(
      /'features\.0' is \[3, 4, 3, 2\].*\[4, 3, 3, 2\]/,
    );
  });

  it('metrics other than Frobenius point to the norm plugins', async () => {
    const metric = { kind: 'weighted' as const, weights: engine.ones(conv.weightShape, 'float64') };
    await expect(plugin.decompose(weight(), conv, [2, 2], { metric })).rejects.toThrow(
      /'weighted'.*'features\.0'.*norm plugins/,
    );
    await expect(plugin.project(weight(), conv, [2, 2], metric)).rejects.toThrow(/norm plugins/);
  });

  it('bad HOOI settings are refused', async () => {
    await expect(plugin.decompose(weight(), conv, [2, 2], { maxIterations: -1 })).rejects.toThrow(
      /maxIterations for 'features\.0'/,
    );
    await expect(plugin.decompose(weight(), conv, [2, 2], { tolerance: Number.NaN })).rejects.toThrow(
      /tolerance for 'features\.0'/,
    );
  });

  it('an all-zero weight decomposes with relative error 0 reported', async () => {
    const errors: number[] = [];
    const f = await plugin.decompose(engine.zeros(conv.weightShape, 'float64'), conv, [2, 2], {
      onIteration: (_i, e) => errors.push(e),
    });
    expect(errors).toEqual([0]);
    expect(Math.max(...Array.from(plugin.reconstruct(f).dataSync(), Math.abs))).toBe(0);
  });

  it('factors of one layer cannot build the layer of another shape', async () => {
    const f = await plugin.decompose(weight(), conv, [2, 2]);
    expect(() => plugin.layer(f, convLayer('features.1', 4, 3, [2, 3]), null)).toThrow(
      /\[4,3,3,2\] weight cannot replace 'features\.1'/,
    );
  });
});
