/**
 * The page that browser.test.ts bundles and opens in headless Chromium: it runs lowrank on
 * WebGPU through navigator.gpu next to a CPU engine and POSTs what it measured to /report.
 */
import {
  conv2d,
  createEngine,
  crossEntropy,
  denseCost,
  type Engine,
  layerInfo,
  linalg,
  matmul,
  mul,
  nn,
  optim,
  sum,
  type Tensor,
} from '@lowrank/core';
import { svd } from '@lowrank/svd';
import { createWebGpuBackend } from '../../src/index.js';
import type { BrowserFailure, BrowserReport, DecompositionCase, ParityCase } from './report.js';

/** A scalar with a non-trivial gradient for every output element: sum(y * r), r random. */
function weightedSum(e: Engine, y: Tensor, seed: number): Tensor {
  return sum(mul(y, e.randn(y.shape, { seed })));
}

interface Problem {
  name: string;
  /** Builds the op from seeded inputs on `e`; returns the named outputs (forward and gradients). */
  build: (e: Engine) => [string, Tensor][];
}

const problems: Problem[] = [
  {
    name: 'matmul 33x47 @ 47x29',
    build: (e) => {
      const a = e.randn([33, 47], { seed: 1 }).requireGrad();
      const b = e.randn([47, 29], { seed: 2 }).requireGrad();
      const y = matmul(a, b);
      const [da, db] = e.gradients(weightedSum(e, y, 3), [a, b]);
      return [
        ['forward', y],
        ['grad a', da],
        ['grad b', db],
      ];
    },
  },
  {
    name: 'batched matmul 3x17x24 @ (3x19x24)^T',
    build: (e) => {
      const a = e.randn([3, 17, 24], { seed: 4 }).requireGrad();
      const b = e.randn([3, 19, 24], { seed: 5 }).requireGrad();
      const y = matmul(a, b, { transB: true });
      const [da, db] = e.gradients(weightedSum(e, y, 6), [a, b]);
      return [
        ['forward', y],
        ['grad a', da],
        ['grad b', db],
      ];
    },
  },
  {
    name: 'conv2d 2x3x9x9 * 5x3x3x3, padding 1, bias',
    build: (e) => {
      const x = e.randn([2, 3, 9, 9], { seed: 7 }).requireGrad();
      const w = e.randn([5, 3, 3, 3], { seed: 8 }).requireGrad();
      const bias = e.randn([5], { seed: 9 }).requireGrad();
      const y = conv2d(x, w, bias, { padding: 1 });
      const [dx, dw, db] = e.gradients(weightedSum(e, y, 10), [x, w, bias]);
      return [
        ['forward', y],
        ['grad x', dx],
        ['grad w', dw],
        ['grad bias', db],
      ];
    },
  },
  {
    name: 'conv2d 2x4x10x10 * 6x2x3x3, stride 2, padding 1, dilation 2, groups 2',
    build: (e) => {
      const x = e.randn([2, 4, 10, 10], { seed: 11 }).requireGrad();
      const w = e.randn([6, 2, 3, 3], { seed: 12 }).requireGrad();
      const y = conv2d(x, w, null, { stride: 2, padding: 1, dilation: 2, groups: 2 });
      const [dx, dw] = e.gradients(weightedSum(e, y, 13), [x, w]);
      return [
        ['forward', y],
        ['grad x', dx],
        ['grad w', dw],
      ];
    },
  },
];

/** Runs every problem on both engines and reads back each output. */
async function parity(engines: { cpu: Engine; webgpu: Engine }): Promise<ParityCase[]> {
  const cases: ParityCase[] = [];
  for (const problem of problems) {
    await progress(`parity: ${problem.name}`);
    let names: string[] = [];
    const [cpu, webgpu] = [engines.cpu, engines.webgpu].map((e) =>
      e.tidy(() => {
        const outputs = problem.build(e);
        names = outputs.map(([name]) => name);
        return outputs.map(([, t]) => t);
      }),
    );
    for (let i = 0; i < cpu.length; i++) {
      cases.push({
        name: `${problem.name}: ${names[i]}`,
        shape: [...cpu[i].shape],
        webgpu: Array.from(await webgpu[i].data()),
        cpu: Array.from(await cpu[i].data()),
      });
    }
    for (const t of [...cpu, ...webgpu]) t.dispose();
  }
  return cases;
}

/** A tiny conv net; the same seed gives the same initial weights on both engines. */
function convNet(e: Engine): nn.Sequential {
  return new nn.Sequential(e, [
    new nn.Conv2d(e, 1, 4, 3, { padding: 1 }),
    new nn.BatchNorm2d(e, 4),
    new nn.ReLU(e),
    new nn.MaxPool2d(e, 2),
    new nn.Conv2d(e, 4, 6, 3, { stride: 2, padding: 1 }),
    new nn.ReLU(e),
    new nn.Flatten(e),
    new nn.Linear(e, 24, 3),
  ]);
}

/** Losses of SGD steps (momentum 0.9) on one fixed batch. */
async function sgdLosses(e: Engine, steps: number): Promise<number[]> {
  const net = convNet(e);
  const opt = new optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
  const x = e.randn([6, 1, 8, 8], { seed: 21 });
  const y = e.tensor([0, 1, 2, 2, 1, 0], [6], 'int32');
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = e.tidy(() => {
      opt.zeroGrad();
      const l = crossEntropy(net.call(x), y);
      l.backward();
      opt.step();
      return l;
    });
    losses.push(await loss.item());
    loss.dispose();
  }
  return losses;
}

/** Frobenius norm of a flat array, in float64. */
function frobenius(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] * values[i];
  return Math.sqrt(s);
}

/**
 * Decomposes `layer`'s weight with @lowrank/svd at `rank` and measures the reconstruction
 * error against the optimum that the singular values of the full weight matrix give.
 */
async function decomposition(
  name: string,
  layer: nn.Linear | nn.Conv2d,
  rank: number,
): Promise<DecompositionCase> {
  const plugin = svd();
  const info = layerInfo(name, layer);
  const factors = await plugin.decompose(layer.weight, info, [rank]);
  const reconstruction = plugin.reconstruct(factors);
  const w = await layer.weight.data();
  const r = await reconstruction.data();
  reconstruction.dispose();
  const diff = Float64Array.from(w, (v, i) => v - r[i]);
  const [rows] = layer.weight.shape;
  const { s } = linalg.svd(linalg.matrix(rows, w.length / rows, Float64Array.from(w)));
  const eckartYoung = frobenius(s.subarray(rank)) / frobenius(s);
  return {
    layer: name,
    backend: layer.weight.engine.backend.name,
    factorsBackend: factors.u.engine.backend.name,
    rank,
    relativeError: frobenius(diff) / frobenius(w),
    eckartYoung,
    paramsBefore: denseCost(info).params,
    paramsAfter: plugin.cost(info, [rank]).params,
  };
}

/** Tells the test which step the page has reached (it times out on a page that stops reporting). */
async function progress(step: string): Promise<void> {
  await fetch('/progress', { method: 'POST', body: step });
}

async function run(): Promise<BrowserReport> {
  const milliseconds: Record<string, number> = {};
  let mark = performance.now();
  const timed = async <T>(section: string, work: () => Promise<T>): Promise<T> => {
    await progress(section);
    const result = await work();
    const now = performance.now();
    milliseconds[section] = now - mark;
    mark = now;
    return result;
  };
  const backend = await timed('device', () => createWebGpuBackend());
  try {
    const cpu = createEngine({ seed: 5 });
    const webgpu = createEngine({ seed: 5, backend });
    const cases = await timed('parity', () => parity({ cpu, webgpu }));
    const losses = await timed('sgd', async () => {
      const onCpu = await sgdLosses(cpu, 5);
      await progress('sgd on webgpu');
      return { cpu: onCpu, webgpu: await sgdLosses(webgpu, 5) };
    });
    const decompositions = await timed('svd', async () => [
      await decomposition('fc (Linear 64 -> 48)', new nn.Linear(cpu, 64, 48), 8),
      await decomposition('conv (Conv2d 8 -> 16, 3x3)', new nn.Conv2d(webgpu, 8, 16, 3), 5),
    ]);
    return {
      userAgent: navigator.userAgent,
      adapter: backend.info.adapter,
      compatibility: backend.info.compatibility,
      backend: webgpu.backend.name,
      parity: cases,
      losses,
      decompositions,
      milliseconds,
    };
  } finally {
    backend.dispose();
  }
}

async function post(body: BrowserReport | BrowserFailure): Promise<void> {
  await fetch('/report', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

run().then(post, (e: unknown) => post({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }));
