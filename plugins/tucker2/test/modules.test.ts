import { createEngine, measuredCost, nn, norm, sub } from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import { describe, expect, it } from 'vitest';
import { moduleBuilders, Tucker2Conv2d, Tucker2Linear, tucker2 } from '../src/index.js';

const engine = createEngine();
const plugin = tucker2();

describe('tucker2 modules', () => {
  it('a model with Tucker2 layers saved by saveModule is rebuilt by loadModule with moduleBuilders and computes the same (exactly)', async () => {
    const conv = convLayer('0', 5, 3, [3, 2], { stride: [2, 1], padding: [1, 0, 2, 1], dilation: [1, 2] });
    const fc = linearLayer('2', 7, 5 * 4 * 9, false);
    const convF = await plugin.decompose(
      engine.randn(conv.weightShape, { dtype: 'float64', seed: 1 }),
      conv,
      [4, 2],
    );
    const fcF = await plugin.decompose(
      engine.randn(fc.weightShape, { dtype: 'float64', seed: 2 }),
      fc,
      [4, 4],
    );
    const model = new nn.Sequential(engine, [
      plugin.layer(convF, conv, engine.randn([5], { dtype: 'float64', seed: 3 })),
      new nn.Flatten(engine, 1),
      plugin.layer(fcF, fc, null),
    ]);
    expect(model.layers[0]).toBeInstanceOf(Tucker2Conv2d);
    expect(model.layers[2]).toBeInstanceOf(Tucker2Linear);
    const restored = nn.loadModule(engine, await nn.saveModule(model), moduleBuilders);
    expect(restored.describe()).toEqual(model.describe());
    const x = engine.randn([2, 3, 9, 8], { dtype: 'float64', seed: 4 });
    expect(Array.from(restored.call(x).dataSync())).toEqual(Array.from(model.call(x).dataSync()));
  });

  it('the factorized layer trains: gradients reach the three factors and the bias', async () => {
    const layer = convLayer('c', 4, 3, [3, 3], { padding: [1, 1, 1, 1] });
    const f = await plugin.decompose(
      engine.randn(layer.weightShape, { dtype: 'float64', seed: 1 }),
      layer,
      [2, 2],
    );
    const module = plugin.layer(f, layer, engine.zeros([4], 'float64'));
    const loss = engine.tidy(() =>
      norm(sub(module.call(engine.randn([2, 3, 6, 6], { dtype: 'float64', seed: 2 })), 1)),
    );
    loss.backward();
    expect(module.namedParameters().map(([name, p]) => [name, p.grad !== null])).toEqual([
      ['first.weight', true],
      ['core.weight', true],
      ['last.weight', true],
      ['last.bias', true],
    ]);
  });

  it('cost() of the LeNet-5 conv2 shape (16x6x5x5 at 14x14) at [4, 3]: 6*3 + 4*3*25 + 4*16 + 16 params, 18*196 + 364*100 MACs', () => {
    const layer = convLayer('conv2', 16, 6, [5, 5], { inputSize: [14, 14] });
    expect(plugin.cost(layer, [4, 3])).toEqual({ params: 398, flops: 39928 });
    const f = {
      core: engine.zeros([4, 3, 5, 5], 'float64'),
      u: engine.zeros([16, 4], 'float64'),
      v: engine.zeros([6, 3], 'float64'),
      weightShape: [16, 6, 5, 5],
    };
    expect(measuredCost(plugin.layer(f, layer, engine.zeros([16], 'float64')), layer)).toEqual({
      params: 398,
      flops: 39928,
    });
  });
});
