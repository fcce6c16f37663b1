import { add, createEngine, matmul, mseLoss, nn, type Tensor } from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import { describe, expect, it } from 'vitest';
import {
  moduleBuilders,
  reconstructTt,
  TtChannelConv2d,
  type TtLinear,
  tt,
  ttFactorRanks,
} from '../src/index.js';
import { relativeError } from './helpers.js';

const engine = createEngine();

describe('TT layers', () => {
  it('TT-FC forward equals x W^T + b for a 96 x 60 layer in 3 cores, input [2, 3, 60] (rel. 1e-12)', async () => {
    const plugin = tt();
    const layer = linearLayer('fc', 96, 60);
    expect(plugin.layout(layer)).toMatchObject({ kind: 'matrix', outModes: [4, 4, 6], inModes: [3, 4, 5] });
    const w = engine.randn([96, 60], { dtype: 'float64', seed: 1 });
    const b = engine.randn([96], { dtype: 'float64', seed: 2 });
    const f = await plugin.decompose(w, layer, [5, 7]);
    const module = plugin.layer(f, layer, b);
    const x = engine.randn([2, 3, 60], { dtype: 'float64', seed: 3 });
    const expected = add(matmul(x, reconstructTt(f), { transB: true }), b);
    expect(relativeError(await expected.data(), await module.call(x).data())).toBeLessThan(1e-12);
  });

  it('TT-FC trains: the gradients of its cores equal those through the reconstructed weight (rel. 1e-10)', async () => {
    const plugin = tt({ linearCores: 2 });
    const layer = linearLayer('fc', 12, 10, false);
    const f = await plugin.decompose(engine.randn([12, 10], { dtype: 'float64', seed: 4 }), layer, [3]);
    const module = plugin.layer(f, layer, null) as TtLinear;
    const x = engine.randn([5, 10], { dtype: 'float64', seed: 5 });
    const target = engine.randn([5, 12], { dtype: 'float64', seed: 6 });
    const params = [module.core(0).weight, module.core(1).weight];
    const viaLayer = engine.gradients(mseLoss(module.call(x), target), params);
    const cores = f.cores.map((c) => c.detach().requireGrad());
    const dense = matmul(x, reconstructTt({ ...f, cores }), { transB: true });
    const viaWeight = engine.gradients(mseLoss(dense, target), cores);
    for (let k = 0; k < 2; k++) {
      expect(Math.max(...(await viaLayer[k].data()))).not.toBe(0);
      expect(relativeError(await viaWeight[k].data(), await viaLayer[k].data())).toBeLessThan(1e-10);
    }
  });

  it('the channels layout honours given modes: a 24 -> 12 3x3 conv as [2, 3, 4] x [K] x [3, 4] equals the dense conv (rel. 1e-12)', async () => {
    const plugin = tt({ layout: 'channels', modes: () => ({ out: [2, 3, 4], in: [3, 4] }) });
    const layer = convLayer('conv', 24, 12, [3, 3], {
      stride: [2, 1],
      padding: [1, 0, 2, 1],
      dilation: [1, 2],
      inputSize: [9, 8],
    });
    const spec = plugin.rankSpec(layer);
    expect(spec.max).toEqual([2, 6, 24, 12, 4]);
    const f = await plugin.decompose(
      engine.randn([24, 12, 3, 3], { dtype: 'float64', seed: 7 }),
      layer,
      [2, 4, 9, 6, 3],
    );
    expect(ttFactorRanks(f)).toEqual([2, 4, 9, 6, 3]);
    const bias = engine.randn([24], { dtype: 'float64', seed: 8 });
    const module = plugin.layer(f, layer, bias);
    expect(module).toBeInstanceOf(TtChannelConv2d);
    const x = engine.randn([2, 12, 9, 8], { dtype: 'float64', seed: 9 });
    const { conv2d } = await import('@lowrank/core');
    const expected = conv2d(x, reconstructTt(f), bias, {
      stride: layer.stride,
      padding: layer.padding,
      dilation: layer.dilation,
    });
    expect(relativeError(await expected.data(), await module.call(x).data())).toBeLessThan(1e-12);
    const cost = plugin.cost(layer, [2, 4, 9, 6, 3]);
    expect(cost.params).toBe(module.numParameters());
  });

  it('decompose with eps and no ranks keeps the smallest ranks meeting ‖W - TT‖ <= eps ‖W‖', async () => {
    const plugin = tt();
    const layer = convLayer('conv', 8, 6, [3, 3]);
    const w = engine.randn([8, 6, 3, 3], { dtype: 'float64', seed: 10 });
    for (const eps of [0.05, 0.3, 0.7]) {
      const f = await plugin.decompose(w, layer, [], { eps });
      expect(relativeError(await w.data(), await reconstructTt(f).data())).toBeLessThanOrEqual(eps);
      const capped = await plugin.decompose(w, layer, [2, 2], { eps });
      for (const r of ttFactorRanks(capped)) expect(r).toBeLessThanOrEqual(2);
    }
  });

  it('project(w) = reconstruct(decompose(w)) (exactly) and keeps the weight dtype (float32)', async () => {
    const plugin = tt();
    const layer = linearLayer('fc', 16, 20);
    const w = engine.randn([16, 20], { seed: 11 });
    const projected = await plugin.project(w, layer, [3, 4]);
    const direct = reconstructTt(await plugin.decompose(w, layer, [3, 4]));
    expect(projected.dtype).toBe('float32');
    expect(await projected.data()).toEqual(await direct.data());
  });

  it('saved TT layers rebuild with moduleBuilders and compute the same (TtLinear, TtConv2d, TtChannelConv2d)', async () => {
    const cases: [ReturnType<typeof tt>, ReturnType<typeof linearLayer>, number[]][] = [
      [tt(), linearLayer('fc', 12, 18), [3, 4]],
      [tt(), convLayer('conv', 6, 4, [3, 2], { padding: [1, 1, 0, 1] }), [3, 2]],
      [tt({ layout: 'channels' }), convLayer('conv', 6, 4, [3, 3], { stride: [2, 2] }), [2, 3, 4, 2]],
    ];
    for (const [plugin, layer, ranks] of cases) {
      const f = await plugin.decompose(
        engine.randn(layer.weightShape, { dtype: 'float64', seed: 12 }),
        layer,
        ranks,
      );
      const module = plugin.layer(
        f,
        layer,
        engine.randn([layer.outChannels], { dtype: 'float64', seed: 13 }),
      );
      const bytes = await nn.saveModule(module);
      const rebuilt = nn.loadModule(engine, bytes, moduleBuilders);
      const x: Tensor =
        layer.kind === 'linear'
          ? engine.randn([2, layer.inChannels], { dtype: 'float64' })
          : engine.randn([2, layer.inChannels, 7, 8], { dtype: 'float64' });
      expect(rebuilt.typeName).toBe(module.typeName);
      expect(await rebuilt.call(x).data()).toEqual(await module.call(x).data());
    }
  });
});
