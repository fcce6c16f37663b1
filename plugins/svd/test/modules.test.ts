import { createEngine, measuredCost, nn, norm, sub } from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import { describe, expect, it } from 'vitest';
import { moduleBuilders, SvdConv2d, SvdLinear, svd } from '../src/index.js';

const engine = createEngine();
const plugin = svd();

describe('svd modules', () => {
  it('a model with SVD layers saved by saveModule is rebuilt by loadModule with moduleBuilders and computes the same (exactly)', async () => {
    const conv = convLayer('0', 5, 3, [3, 2], { stride: [2, 1], padding: [1, 0, 2, 1], dilation: [1, 2] });
    const fc = linearLayer('2', 7, 5 * 4 * 9, false);
    const convF = await plugin.decompose(
      engine.randn(conv.weightShape, { dtype: 'float64', seed: 1 }),
      conv,
      [3],
    );
    const fcF = await plugin.decompose(engine.randn(fc.weightShape, { dtype: 'float64', seed: 2 }), fc, [4]);
    const model = new nn.Sequential(engine, [
      plugin.layer(convF, conv, engine.randn([5], { dtype: 'float64', seed: 3 })),
      new nn.Flatten(engine, 1),
      plugin.layer(fcF, fc, null),
    ]);
    expect(model.layers[0]).toBeInstanceOf(SvdConv2d);
    expect(model.layers[2]).toBeInstanceOf(SvdLinear);
    const restored = nn.loadModule(engine, await nn.saveModule(model), moduleBuilders);
    expect(restored.describe()).toEqual(model.describe());
    const x = engine.randn([2, 3, 9, 8], { dtype: 'float64', seed: 4 });
    expect(Array.from(restored.call(x).dataSync())).toEqual(Array.from(model.call(x).dataSync()));
  });

  it('the factorized layer trains: gradients reach both factors and the bias', async () => {
    const layer = linearLayer('fc', 4, 6);
    const f = await plugin.decompose(engine.randn([4, 6], { dtype: 'float64', seed: 1 }), layer, [2]);
    const module = plugin.layer(f, layer, engine.zeros([4], 'float64'));
    const loss = engine.tidy(() =>
      norm(sub(module.call(engine.randn([3, 6], { dtype: 'float64', seed: 2 })), 1)),
    );
    loss.backward();
    const grads = module.namedParameters().map(([name, p]) => [name, p.grad !== null]);
    expect(grads).toEqual([
      ['first.weight', true],
      ['second.weight', true],
      ['second.bias', true],
    ]);
  });

  it('cost() of the LeNet-5 conv2 shape (16x6x5x5 at 14x14) at r = 4: 4*150 + 16*4 + 16 params, 664 * 100 MACs', () => {
    const layer = convLayer('conv2', 16, 6, [5, 5], { inputSize: [14, 14] });
    expect(plugin.cost(layer, [4])).toEqual({ params: 680, flops: 66400 });
    const f = {
      u: engine.zeros([16, 4], 'float64'),
      v: engine.zeros([4, 150], 'float64'),
      s: engine.ones([4], 'float64'),
      weightShape: [16, 6, 5, 5],
    };
    expect(measuredCost(plugin.layer(f, layer, engine.zeros([16], 'float64')), layer)).toEqual({
      params: 680,
      flops: 66400,
    });
  });
});
