import { createEngine } from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import { describe, expect, it } from 'vitest';
import { svd } from '../src/index.js';

const engine = createEngine();
const plugin = svd();
const conv = convLayer('features.0', 4, 3, [3, 2]);
const weight = () => engine.randn(conv.weightShape, { dtype: 'float64', seed: 1 });

describe('svd errors name the layer, the rank and the bound', () => {
  it('a grouped conv is refused by supports() and decompose() with the reason and what to do', async () => {
    const grouped = convLayer('features.3', 4, 4, [3, 3], { groups: 2 });
    const support = plugin.supports(grouped);
    expect(support.ok).toBe(false);
    if (!support.ok) expect(support.reason).toMatch(/groups = 2.*split it/);
    await expect(plugin.decompose(engine.randn(grouped.weightShape), grouped, [1])).rejects.toThrow(
      /'features\.3'.*grouped/,
    );
  });

  it.each([
    [[0], /r = 0 of 'features\.0'.*\[1, 4\]/],
    [[5], /r = 5 of 'features\.0'.*\[1, 4\]/],
    [[1.5], /r = 1\.5 of 'features\.0'/],
    [[1, 1], /'features\.0' takes 1 rank\(s\) \[r\], got \[1, 1\]/],
    [[], /'features\.0' takes 1 rank/],
  ])('ranks %j are refused by decompose() and cost()', async (ranks, message) => {
    await expect(plugin.decompose(weight(), conv, ranks)).rejects.toThrow(message);
    expect(() => plugin.cost(conv, ranks)).toThrow(message);
  });

  it('NaN and Inf weights are refused, naming the layer', async () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const data = new Float64Array(72).fill(1);
      data[7] = bad;
      await expect(plugin.decompose(engine.fromData(data, conv.weightShape), conv, [2])).rejects.toThrow(
        new RegExp(`'features\\.0' has ${bad} at flat index 7`),
      );
    }
  });

  it('a weight whose shape differs from the layer info is refused', async () => {
    await expect(plugin.decompose(engine.randn([4, 3, 2, 3]), conv, [2])).rejects.toThrow(
      /'features\.0' is \[4, 3, 2, 3\].*\[4, 3, 3, 2\]/,
    );
  });

  it('metrics other than Frobenius and whitened point to the norm plugins', async () => {
    const metric = { kind: 'weighted' as const, weights: engine.ones(conv.weightShape, 'float64') };
    await expect(plugin.decompose(weight(), conv, [2], { metric })).rejects.toThrow(
      /'weighted'.*'features\.0'.*norm plugins/,
    );
    await expect(plugin.project(weight(), conv, [2], metric)).rejects.toThrow(/norm plugins/);
  });

  it('a whitening factor that is not P x P or has a zero diagonal is refused, naming the layer', async () => {
    const wrong = { kind: 'whitened' as const, factor: engine.eye(17, 17, 'float64') };
    await expect(plugin.decompose(weight(), conv, [2], { metric: wrong })).rejects.toThrow(
      /'features\.0' is \[17, 17\]; it must be P x P = 18 x 18/,
    );
    const singular = { kind: 'whitened' as const, factor: engine.zeros([18, 18], 'float64') };
    await expect(plugin.decompose(weight(), conv, [2], { metric: singular })).rejects.toThrow(
      /'features\.0' has 0 on its diagonal/,
    );
  });

  it('an unknown SVD method is refused', async () => {
    await expect(plugin.decompose(weight(), conv, [2], { method: 'lanczos' as never })).rejects.toThrow(
      /unknown method 'lanczos'/,
    );
  });

  it('factors of one layer cannot build the layer of another shape', async () => {
    const f = await plugin.decompose(weight(), conv, [2]);
    expect(() => plugin.layer(f, linearLayer('fc1', 4, 18), null)).toThrow(
      /\[4,3,3,2\] weight cannot replace 'fc1'/,
    );
  });
});
