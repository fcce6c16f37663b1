import { createEngine, crossEntropy, type Engine, nn, optim, type Tensor } from '@lowrank/core';
import { describe, expect, it } from 'vitest';
import { createWebGpuBackend } from '../src/index.js';
import { expectClose } from './helpers.js';

/** A tiny conv net: conv, batch norm, ReLU, max pool, conv, average pool, linear. Same seed, same initial weights. */
function model(e: Engine): nn.Sequential {
  return new nn.Sequential(e, [
    new nn.Conv2d(e, 1, 4, 3, { padding: 1 }),
    new nn.BatchNorm2d(e, 4),
    new nn.ReLU(e),
    new nn.MaxPool2d(e, 2),
    new nn.Conv2d(e, 4, 6, 3, { stride: 2, padding: 1 }),
    new nn.GELU(e),
    new nn.AdaptiveAvgPool2d(e, 2),
    new nn.Flatten(e),
    new nn.Linear(e, 24, 3),
  ]);
}

function batch(e: Engine): { x: Tensor; y: Tensor } {
  return { x: e.randn([6, 1, 8, 8], { seed: 11 }), y: e.tensor([0, 1, 2, 2, 1, 0], [6], 'int32') };
}

describe('training on WebGPU matches the CPU', () => {
  it('parameter gradients of a small conv net agree', async () => {
    const backend = await createWebGpuBackend();
    try {
      const [cpu, gpu] = [createEngine({ seed: 3 }), createEngine({ seed: 3, backend })];
      const grads = [cpu, gpu].map((e) => {
        const net = model(e);
        const { x, y } = batch(e);
        crossEntropy(net.call(x), y).backward();
        return net.namedParameters().map(([name, p]) => [name, p.grad!] as const);
      });
      expect(grads[1].map(([n]) => n)).toEqual(grads[0].map(([n]) => n));
      for (let i = 0; i < grads[0].length; i++) {
        await expectClose(grads[1][i][1], grads[0][i][1], { rtol: 1e-3, atol: 1e-5 }, grads[0][i][0]);
      }
    } finally {
      backend.dispose();
    }
  });

  it('a few SGD steps give the same losses', async () => {
    const backend = await createWebGpuBackend();
    try {
      const losses = await Promise.all(
        [createEngine({ seed: 5 }), createEngine({ seed: 5, backend })].map(async (e) => {
          const net = model(e);
          const opt = new optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
          const { x, y } = batch(e);
          const out: number[] = [];
          for (let step = 0; step < 6; step++) {
            const loss = e.tidy(() => {
              opt.zeroGrad();
              const l = crossEntropy(net.call(x), y);
              l.backward();
              opt.step();
              return l;
            });
            out.push(await loss.item());
            loss.dispose();
          }
          return out;
        }),
      );
      const [cpu, gpu] = losses;
      for (let i = 0; i < cpu.length; i++)
        expect(Math.abs(gpu[i] - cpu[i])).toBeLessThan(1e-4 * (1 + Math.abs(cpu[i])));
      expect(cpu[cpu.length - 1]).toBeLessThan(cpu[0]);
    } finally {
      backend.dispose();
    }
  });
});
