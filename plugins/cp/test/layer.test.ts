import {
  conv2d,
  createEngine,
  type LayerInfo,
  matmul,
  measuredCost,
  nn,
  sum,
  type Tensor,
} from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CpConv2d, CpLinear, cp, moduleBuilders } from '../src/index.js';
import { convLayers, disposeFactors, relativeDifference } from './helpers.js';

const engine = createEngine({ seed: 5 });
const plugin = cp();

function denseOutput(layer: LayerInfo, weight: Tensor, bias: Tensor | null, x: Tensor): Tensor {
  if (layer.kind === 'linear') {
    const y = matmul(x, weight, { transB: true });
    return bias ? y.add(bias) : y;
  }
  return conv2d(x, weight, bias, { stride: layer.stride, padding: layer.padding, dilation: layer.dilation });
}

function inputFor(layer: LayerInfo, dtype: 'float32' | 'float64' = 'float64'): Tensor {
  return layer.kind === 'linear'
    ? engine.randn([3, layer.inChannels], { dtype })
    : engine.randn([2, layer.inChannels, ...(layer.inputSize ?? [7, 8])], { dtype });
}

/** Output of the factorized layer vs the dense layer with the reconstructed weight. */
async function layerDifference(layer: LayerInfo, rank: number, dtype: 'float32' | 'float64' = 'float64') {
  const w = engine.randn(layer.weightShape, { dtype });
  const bias = layer.bias ? engine.keep(engine.randn([layer.outChannels], { dtype })) : null;
  const f = await plugin.decompose(w, layer, [rank], { maxIterations: 5 });
  const module = plugin.layer(f, layer, bias);
  const diff = engine.noGrad(() =>
    engine.tidy(() => {
      const x = inputFor(layer, dtype);
      const expected = denseOutput(layer, plugin.reconstruct(f), bias, x);
      const got = module.call(x);
      expect(got.shape).toEqual(expected.shape);
      expect(got.dtype).toBe(dtype);
      return relativeDifference(expected.dataSync(), got.dataSync());
    }),
  );
  module.dispose();
  disposeFactors(f);
  w.dispose();
  bias?.dispose();
  return diff;
}

const geometries: LayerInfo[] = [
  convLayer('rect', 5, 4, [3, 2], {
    stride: [2, 1],
    padding: [1, 0, 2, 1],
    dilation: [2, 1],
    inputSize: [9, 8],
  }),
  convLayer('tall', 3, 6, [3, 1], {
    stride: [1, 2],
    padding: [0, 2, 1, 0],
    dilation: [1, 2],
    inputSize: [7, 9],
  }),
  convLayer('wide', 4, 2, [1, 3], {
    stride: [2, 2],
    padding: [2, 1, 0, 0],
    dilation: [1, 1],
    inputSize: [6, 5],
    bias: false,
  }),
  convLayer('pointwise', 6, 5, [1, 1], { stride: [2, 1], padding: [1, 1, 0, 1], inputSize: [5, 6] }),
];

describe('CP layers', () => {
  for (const layer of geometries) {
    it(`the 4-conv layer equals the dense conv at the largest rank: ${layer.name} ${layer.kernel.join('x')}, stride ${layer.stride}, padding ${layer.padding}, dilation ${layer.dilation} (relative 1e-12)`, async () => {
      expect(await layerDifference(layer, plugin.rankSpec(layer).max[0])).toBeLessThan(1e-12);
    });
  }

  it('the 4-conv layer equals the dense conv at the largest rank for random geometries (relative 1e-12)', async () => {
    await fc.assert(
      fc.asyncProperty(convLayers, async (layer) => {
        expect(await layerDifference(layer, plugin.rankSpec(layer).max[0])).toBeLessThan(1e-12);
      }),
      { numRuns: 25 },
    );
  });

  it('a float32 weight gives float32 factors and a float32 layer that matches the dense one (relative 1e-5)', async () => {
    const layer = geometries[0];
    expect(await layerDifference(layer, 3, 'float32')).toBeLessThan(1e-5);
    const f = await plugin.decompose(engine.randn(layer.weightShape), layer, [3]);
    expect([f.lambda.dtype, ...f.factors.map((t) => t.dtype)]).toEqual(Array(5).fill('float32'));
    disposeFactors(f);
  });

  it('a linear layer becomes two linears, I -> R and R -> O with the bias (relative 1e-12)', async () => {
    const layer = linearLayer('fc', 7, 9);
    const f = await plugin.decompose(engine.randn([7, 9], { dtype: 'float64' }), layer, [3]);
    const module = plugin.layer(f, layer, engine.randn([7], { dtype: 'float64' }));
    expect(module).toBeInstanceOf(CpLinear);
    const m = module as CpLinear;
    expect([m.rank, m.input.inFeatures, m.output.outFeatures, m.input.bias, m.output.bias?.shape]).toEqual([
      3,
      9,
      7,
      null,
      [7],
    ]);
    expect(await layerDifference(layer, 3)).toBeLessThan(1e-12);
    expect(
      await layerDifference(linearLayer('fc', 8, 8, false), plugin.rankSpec(linearLayer('fc', 8, 8)).max[0]),
    ).toBeLessThan(1e-12);
    disposeFactors(f);
  });

  it('the conv layer is 1x1 I -> R, depthwise Kh x 1 and 1 x Kw with the split geometry, 1x1 R -> O with the bias', async () => {
    const layer = geometries[0];
    const f = await plugin.decompose(engine.randn(layer.weightShape, { dtype: 'float64' }), layer, [4]);
    const m = plugin.layer(f, layer, engine.randn([5], { dtype: 'float64' })) as CpConv2d;
    expect(m).toBeInstanceOf(CpConv2d);
    const geometry = (c: nn.Conv2d) => [
      c.inChannels,
      c.outChannels,
      c.kernelSize,
      c.stride,
      c.padding,
      c.dilation,
      c.groups,
      c.bias !== null,
    ];
    expect(geometry(m.input)).toEqual([4, 4, [1, 1], [1, 1], [0, 0, 0, 0], [1, 1], 1, false]);
    expect(geometry(m.vertical)).toEqual([4, 4, [3, 1], [2, 1], [1, 0, 0, 0], [2, 1], 4, false]);
    expect(geometry(m.horizontal)).toEqual([4, 4, [1, 2], [1, 1], [0, 0, 2, 1], [1, 1], 4, false]);
    expect(geometry(m.output)).toEqual([4, 5, [1, 1], [1, 1], [0, 0, 0, 0], [1, 1], 1, true]);
    disposeFactors(f);
  });

  it('cost() equals the measured params and MACs at the largest rank, for conv and linear layers', async () => {
    for (const layer of [...geometries, linearLayer('fc', 12, 5), linearLayer('fc', 3, 4, false)]) {
      const rank = plugin.rankSpec(layer).max[0];
      const f = await plugin.decompose(engine.randn(layer.weightShape, { dtype: 'float64' }), layer, [rank], {
        maxIterations: 2,
      });
      const module = plugin.layer(f, layer, layer.bias ? engine.zeros([layer.outChannels], 'float64') : null);
      expect(plugin.cost(layer, [rank]), layer.name).toEqual(measuredCost(module, layer));
      disposeFactors(f);
    }
  });

  it('gradients reach the weights of all four convolutions and the bias (the layer trains)', async () => {
    const layer = geometries[0];
    const f = await plugin.decompose(engine.randn(layer.weightShape, { dtype: 'float64' }), layer, [3]);
    const m = plugin.layer(f, layer, engine.randn([5], { dtype: 'float64' }));
    engine.tidy(() => sum(m.call(inputFor(layer)).square()).backward());
    for (const [name, p] of m.namedParameters()) {
      expect(p.grad, name).not.toBeNull();
      expect(Math.max(...Array.from(p.grad!.dataSync(), Math.abs)), name).toBeGreaterThan(0);
    }
    expect(m.namedParameters().map(([n]) => n)).toEqual([
      'input.weight',
      'vertical.weight',
      'horizontal.weight',
      'output.weight',
      'output.bias',
    ]);
    disposeFactors(f);
  });

  it('saved CP layers are rebuilt by loadModule with moduleBuilders and give the same outputs (exactly)', async () => {
    for (const layer of [geometries[1], linearLayer('fc', 6, 4)]) {
      const f = await plugin.decompose(engine.randn(layer.weightShape, { dtype: 'float64' }), layer, [2]);
      const original = plugin.layer(f, layer, engine.randn([layer.outChannels], { dtype: 'float64' }));
      const rebuilt = nn.loadModule(engine, await nn.saveModule(original), moduleBuilders);
      expect(rebuilt.typeName).toBe(original.typeName);
      expect(rebuilt.describe()).toEqual(original.describe());
      engine.noGrad(() =>
        engine.tidy(() => {
          const x = inputFor(layer);
          expect(Array.from(rebuilt.call(x).dataSync())).toEqual(Array.from(original.call(x).dataSync()));
        }),
      );
      disposeFactors(f);
    }
  });
});
