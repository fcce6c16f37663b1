import {
  CpuBackend,
  conv2d,
  createEngine,
  crossEntropy,
  matmul,
  maxPool2d,
  relu,
  softmax,
  sum,
  type Tensor,
} from '@lowrank/core';
import { describe, expect, it, vi } from 'vitest';
import { createWebGpuBackend, webgpu } from '../src/index.js';
import { useEngines } from './helpers.js';

const engines = useEngines({ batchSize: 8 });

describe('the backend', () => {
  it('implements every kernel of the contract, stores float32 and int32', () => {
    expect([...engines.backend.kernels].sort()).toEqual([...new CpuBackend().kernels].sort());
    expect(engines.backend.dtypes).toEqual(['float32', 'int32']);
    expect(engines.backend.info.adapter.length).toBeGreaterThan(0);
  });

  it('refuses float64 with a clear error, and has no synchronous reads', () => {
    expect(() => engines.gpu.tensor([1, 2], [2], 'float64')).toThrow(/webgpu.*float64/);
    const t = engines.gpu.tensor([1, 2]);
    expect(() => t.dataSync()).toThrow(/tensor.data\(\)/);
    t.dispose();
  });

  it('reads empty tensors and both dtypes', async () => {
    const e = engines.gpu;
    expect(await e.zeros([0, 3]).data()).toEqual(new Float32Array(0));
    expect(await e.tensor([1, -2, 3], [3], 'int32').data()).toEqual(new Int32Array([1, -2, 3]));
  });

  it('frees every buffer: memory is back to its baseline after 1,000 ops', async () => {
    const e = engines.gpu;
    const before = e.memory();
    const x = e.randn([4, 1, 8, 8], { seed: 1 });
    const w = e.randn([3, 1, 3, 3], { seed: 2 }).requireGrad();
    const labels = e.tensor([0, 1, 2, 1], [4], 'int32');
    const kernels = vi.spyOn(engines.backend, 'runKernel');
    for (let step = 0; step < 25; step++) {
      const loss = e.tidy(() => {
        const y = maxPool2d(relu(conv2d(x, w, null, { padding: 1 })), 2);
        const logits = matmul(y.reshape([4, 48]), e.ones([48, 3]));
        const l = crossEntropy(logits, labels);
        l.backward();
        return sum(softmax(logits)).add(l);
      });
      expect(Number.isFinite(await loss.item())).toBe(true);
      loss.dispose();
      w.grad?.dispose();
      w.grad = null;
    }
    expect(kernels.mock.calls.length).toBeGreaterThanOrEqual(1000);
    kernels.mockRestore();
    for (const t of [x, w, labels]) t.dispose();
    await e.backend.sync();
    expect(e.memory()).toEqual(before);
  });

  it('reuses pooled buffers across steps', async () => {
    const e = engines.gpu;
    const run = () => e.tidy(() => e.ones([256]).mul(2).add(1).sum());
    const first = run();
    expect(await first.item()).toBe(768);
    first.dispose();
    const before = e.memory();
    for (let i = 0; i < 50; i++) run().dispose();
    expect(e.memory()).toEqual(before);
  });

  it('plugs in with engine.use(webgpu()) and setBackend', async () => {
    const engine = createEngine().use(webgpu());
    await engine.setBackend('webgpu');
    expect(engine.backend.name).toBe('webgpu');
    const t: Tensor = engine.tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(await matmul(t, t).toArray()).toEqual([
      [7, 10],
      [15, 22],
    ]);
    t.dispose();
    engine.backend.dispose();
  });

  it('reports a lost device on the next call', async () => {
    const backend = await createWebGpuBackend();
    const engine = createEngine({ backend });
    const t = engine.tensor([1, 2, 3]);
    backend.device.destroy();
    await backend.device.lost;
    expect(() => t.add(1)).toThrow(/device was lost/);
    await expect(t.data()).rejects.toThrow(/device was lost/);
    backend.dispose();
  });

  it('reports WebGPU validation errors on the next call', async () => {
    const backend = await createWebGpuBackend();
    const engine = createEngine({ backend });
    const t = engine.tensor([1, 2, 3]);
    // a mappable buffer cannot be a storage buffer
    backend.device.createBuffer({ size: 16, usage: 0x0001 | 0x0080 });
    await expect(backend.sync()).rejects.toThrow(/WebGPU error/);
    expect(() => t.add(1)).toThrow(/WebGPU error/);
    backend.dispose();
  });

  it('is unusable after dispose, with a clear error', async () => {
    const engine = createEngine().use(webgpu());
    await engine.setBackend('webgpu');
    const backend = engine.backend;
    backend.dispose();
    expect(() => engine.tensor([1])).toThrow(/after dispose/);
  });
});
