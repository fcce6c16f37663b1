import { add, conv2d, createEngine, matmul, mseLoss, nn, type Tensor } from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import { describe, expect, it } from 'vitest';
import { moduleBuilders, reconstructTr, type TrLinear, tr, trFactorRanks } from '../src/index.js';
import { relativeError } from './helpers.js';

const engine = createEngine();

describe('TR layers', () => {
  for (const cores of [2, 3, 4]) {
    it(`TR-FC forward equals x W^T + b for a 96 x 60 layer in ${cores} cores, input [2, 3, 60] (rel. 1e-12)`, async () => {
      const plugin = tr({ linearCores: cores });
      const layer = linearLayer('fc', 96, 60);
      const spec = plugin.rankSpec(layer);
      const ranks = spec.max.map((m) => Math.min(m, 3));
      const f = await plugin.decompose(
        engine.randn([96, 60], { dtype: 'float64', seed: cores }),
        layer,
        ranks,
        { maxIterations: 3 },
      );
      const b = engine.randn([96], { dtype: 'float64', seed: 2 });
      const module = plugin.layer(f, layer, b);
      const x = engine.randn([2, 3, 60], { dtype: 'float64', seed: 3 });
      const expected = add(matmul(x, reconstructTr(f), { transB: true }), b);
      expect(relativeError(await expected.data(), await module.call(x).data())).toBeLessThan(1e-12);
      expect(plugin.cost(layer, trFactorRanks(f)).params).toBe(module.numParameters());
    });
  }

  it('TR-conv (ring O x K x I) equals the dense conv with the reconstructed kernel: 12 -> 10, 3x2 kernel, stride, 4-sided padding, dilation (rel. 1e-12)', async () => {
    const plugin = tr();
    const layer = convLayer('conv', 12, 10, [3, 2], {
      stride: [2, 1],
      padding: [1, 0, 2, 1],
      dilation: [2, 1],
      inputSize: [9, 8],
    });
    expect(plugin.layout(layer)).toMatchObject({ kind: 'conv', modes: [12, 6, 10], start: 0 });
    const f = await plugin.decompose(
      engine.randn([12, 10, 3, 2], { dtype: 'float64', seed: 4 }),
      layer,
      [3, 1, 4],
    );
    const bias = engine.randn([12], { dtype: 'float64', seed: 5 });
    const module = plugin.layer(f, layer, bias);
    const x = engine.randn([2, 10, 9, 8], { dtype: 'float64', seed: 6 });
    const expected = conv2d(x, reconstructTr(f), bias, {
      stride: layer.stride,
      padding: layer.padding,
      dilation: layer.dilation,
    });
    expect(relativeError(await expected.data(), await module.call(x).data())).toBeLessThan(1e-12);
  });

  it('TR-FC trains: the gradients of its cores equal those through the reconstructed weight (rel. 1e-10)', async () => {
    const plugin = tr();
    const layer = linearLayer('fc', 12, 18, false);
    const f = await plugin.decompose(
      engine.randn([12, 18], { dtype: 'float64', seed: 7 }),
      layer,
      [2, 2, 2],
      { algorithm: 'svd' },
    );
    const module = plugin.layer(f, layer, null) as TrLinear;
    const x = engine.randn([5, 18], { dtype: 'float64', seed: 8 });
    const target = engine.randn([5, 12], { dtype: 'float64', seed: 9 });
    const params = f.cores.map((_, k) => module.core(k).weight);
    const viaLayer = engine.gradients(mseLoss(module.call(x), target), params);
    const cores = f.cores.map((c) => c.detach().requireGrad());
    const viaWeight = engine.gradients(
      mseLoss(matmul(x, reconstructTr({ ...f, cores }), { transB: true }), target),
      cores,
    );
    // The layer holds each core permuted to its Linear's [out, in] (the plan's weightPerm): compare in that layout.
    for (const step of module.plan.steps) {
      const k = step.core;
      const g = viaWeight[k].transpose(step.weightPerm).reshape(viaLayer[k].shape);
      expect(Math.max(...(await viaLayer[k].data()).map(Math.abs))).toBeGreaterThan(0);
      expect(relativeError(await g.data(), await viaLayer[k].data())).toBeLessThan(1e-10);
    }
  });

  it('project(w) = reconstruct(decompose(w)) (exactly) and keeps the weight dtype (float32)', async () => {
    const plugin = tr();
    const layer = convLayer('conv', 8, 6, [3, 3]);
    const w = engine.randn([8, 6, 3, 3], { seed: 10 });
    const projected = await plugin.project(w, layer, [2, 2, 3]);
    const direct = reconstructTr(await plugin.decompose(w, layer, [2, 2, 3]));
    expect(projected.dtype).toBe('float32');
    expect(await projected.data()).toEqual(await direct.data());
  });

  it('saved TR layers rebuild with moduleBuilders and compute the same (TrLinear, TrConv2d)', async () => {
    const plugin = tr();
    const cases: [ReturnType<typeof linearLayer>, number[]][] = [
      [linearLayer('fc', 12, 18), [2, 2, 2]],
      [convLayer('conv', 6, 4, [3, 2], { padding: [1, 1, 0, 1] }), [2, 2, 2]],
    ];
    for (const [layer, ranks] of cases) {
      const f = await plugin.decompose(
        engine.randn(layer.weightShape, { dtype: 'float64', seed: 11 }),
        layer,
        ranks,
      );
      const module = plugin.layer(
        f,
        layer,
        engine.randn([layer.outChannels], { dtype: 'float64', seed: 12 }),
      );
      const rebuilt = nn.loadModule(engine, await nn.saveModule(module), moduleBuilders);
      const x: Tensor =
        layer.kind === 'linear'
          ? engine.randn([2, layer.inChannels], { dtype: 'float64' })
          : engine.randn([2, layer.inChannels, 7, 8], { dtype: 'float64' });
      expect(rebuilt.typeName).toBe(module.typeName);
      expect(await rebuilt.call(x).data()).toEqual(await module.call(x).data());
    }
  });
});
