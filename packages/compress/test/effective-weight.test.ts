import { layerInfo, nn } from '@lowrank/core';
import { expectTensorClose } from '@lowrank/core/testing';
import { describe, expect, it } from 'vitest';
import { effectiveWeight } from '../src/index.js';
import { testEngine } from './helpers.js';

describe('effectiveWeight', () => {
  const engine = testEngine();

  it('recovers a dense conv weight for any stride, padding and dilation (abs 1e-5)', () => {
    const geometries = [
      { stride: 1, padding: 0, dilation: 1 },
      { stride: 2, padding: 1, dilation: 1 },
      {
        stride: [2, 1] as [number, number],
        padding: [3, 0, 1, 2] as [number, number, number, number],
        dilation: 2,
      },
    ];
    for (const g of geometries) {
      const conv = new nn.Conv2d(engine, 3, 4, [3, 2], g);
      const w = effectiveWeight(conv, layerInfo('c', conv));
      expect(w.shape).toEqual([4, 3, 3, 2]);
      expectTensorClose(w, conv.weight.dataSync(), { atol: 1e-5, shape: conv.weight.shape });
      w.dispose();
      conv.dispose();
    }
  });

  it('equals the reconstruction of the factors behind Tucker2 and SVD layers (abs 1e-5)', async () => {
    const cases = [
      { plugin: 'tucker2', layer: new nn.Conv2d(engine, 6, 8, 3, { padding: 1, stride: 2 }), ranks: [3, 2] },
      { plugin: 'svd', layer: new nn.Conv2d(engine, 4, 5, 3, { padding: 2, dilation: 2 }), ranks: [3] },
      { plugin: 'svd', layer: new nn.Linear(engine, 12, 7), ranks: [4] },
    ];
    for (const { plugin: name, layer, ranks } of cases) {
      const plugin = engine.plugins.get('decomposition', name);
      const info = layerInfo(name, layer, [9, 9]);
      const factors = await plugin.decompose(layer.weight, info, ranks);
      const module = plugin.layer(factors, info, layer.bias);
      const expected = plugin.reconstruct(factors);
      const w = effectiveWeight(module, info);
      expectTensorClose(w, expected.dataSync(), { atol: 1e-5, shape: expected.shape });
      // It is differentiable in the factorized layer's parameters.
      const loss = w.square().sum();
      loss.backward();
      expect(module.parameters().every((p) => p.grad !== null)).toBe(true);
      for (const t of [w, expected, loss, ...module.parameters().map((p) => p.grad!)]) t.dispose();
      module.dispose();
      layer.dispose();
    }
  });
});
