import { createEngine } from '@lowrank/core';
import { convLayer, linearLayer, randomNdArray } from '@lowrank/core/testing';
import { describe, expect, it } from 'vitest';
import { TtConv2d, tt, ttSvd } from '../src/index.js';

const engine = createEngine();
const plugin = tt();
const layer = convLayer('features.0', 8, 6, [3, 3]);
const weight = engine.randn([8, 6, 3, 3], { dtype: 'float64', seed: 1 });

describe('tt errors', () => {
  it('ranks out of range, non-integer or of the wrong count name the layer, the rank and the bound', async () => {
    await expect(plugin.decompose(weight, layer, [9, 2])).rejects.toThrow(
      /r1 \(output side\) = 9 of 'features.0'.*\[1, 8\]/,
    );
    await expect(plugin.decompose(weight, layer, [0, 2])).rejects.toThrow(/'features.0'.*\[1, 8\]/);
    await expect(plugin.decompose(weight, layer, [2.5, 2])).rejects.toThrow(
      /r1 \(output side\) = 2.5 of 'features.0'/,
    );
    await expect(plugin.decompose(weight, layer, [2])).rejects.toThrow(/'features.0' takes 2 rank/);
    expect(() => plugin.cost(layer, [2, 7])).toThrow(/r2 \(input side\) = 7 of 'features.0'.*\[1, 6\]/);
  });

  it('NaN or infinite weights are refused naming the layer', async () => {
    const bad = engine.tensor(
      Float64Array.from({ length: 8 * 6 * 9 }, (_, i) => (i === 17 ? Number.NaN : 1)),
      [8, 6, 3, 3],
      'float64',
    );
    await expect(plugin.decompose(bad, layer, [2, 2])).rejects.toThrow(/'features.0'.*NaN/);
  });

  it('grouped convs are refused by supports() and decompose() with the reason and the layer name', async () => {
    const grouped = convLayer('features.3', 4, 4, [3, 3], { groups: 2 });
    const support = plugin.supports(grouped);
    expect(support.ok).toBe(false);
    await expect(
      plugin.decompose(engine.randn([4, 2, 3, 3], { dtype: 'float64' }), grouped, [1, 1]),
    ).rejects.toThrow(/'features.3'.*groups = 2/);
  });

  it('metrics other than Frobenius point to the norm plugins', async () => {
    await expect(
      plugin.decompose(weight, layer, [2, 2], { metric: { kind: 'weighted', weights: weight } }),
    ).rejects.toThrow(/'weighted' metric.*'features.0'.*norm plugins/);
  });

  it('modes that do not factor the layer are refused naming the layer', async () => {
    const bad = tt({ modes: () => ({ out: [3, 3], in: [2, 5] }) });
    const fc = linearLayer('classifier.1', 10, 10);
    expect(bad.supports(fc)).toMatchObject({ ok: false });
    await expect(bad.decompose(engine.randn([10, 10], { dtype: 'float64' }), fc, [2])).rejects.toThrow(
      /'classifier.1'.*do not factor/,
    );
  });

  it('a negative or non-finite eps is an error naming the layer; ttSvd checks its caps', async () => {
    await expect(plugin.decompose(weight, layer, [], { eps: -0.1 })).rejects.toThrow(
      /eps = -0.1 for 'features.0'/,
    );
    expect(() => ttSvd(randomNdArray([2, 3, 4], 1), { ranks: [2] })).toThrow(/1 rank caps for 3 cores/);
    expect(() => ttSvd(randomNdArray([2, 3, 4], 1), { ranks: [2, 0] })).toThrow(/r2 = 0/);
  });

  it('a TtConv2d given the wrong channels or rank says what input it expects', () => {
    const conv = new TtConv2d(engine, {
      inChannels: 6,
      outChannels: 8,
      ranks: [2, 2],
      kernelSize: [3, 3],
      stride: [1, 1],
      padding: [0, 0, 0, 0],
      dilation: [1, 1],
      bias: true,
      dtype: 'float64',
    });
    expect(() => conv.call(engine.zeros([2, 5, 7, 7], 'float64'))).toThrow(
      /TtConv2d: expected input \[N, 6, H, W\], got \[2,5,7,7\]/,
    );
    expect(() => conv.call(engine.zeros([6, 7, 7], 'float64'))).toThrow(/expected input \[N, 6, H, W\]/);
  });

  it('factors of another layer cannot build a layer', async () => {
    const f = await plugin.decompose(weight, layer, [2, 2]);
    expect(() => plugin.layer(f, convLayer('features.6', 8, 6, [1, 1]), null)).toThrow(
      /cannot replace 'features.6'/,
    );
  });
});
