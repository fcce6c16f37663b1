/**
 * WebGPU benchmark: float32 matmul and conv2d through the engine's public ops on the
 * WebGPU backend and on the CPU backend, in one process, on the same data. Prints
 * GFLOP/s and writes results/webgpu.json: the adapter, its fp32 peak when known, and
 * rows { name, ours, peer, ratio, unit[, peakFraction] } with ours = WebGPU, peer = CPU.
 *
 *   pnpm --filter @lowrank/benchmarks bench:webgpu [--sizes 128,256,...,4096]
 *     [--conv-batch N] [--peak-gflops X] [--no-write]
 *
 * Defaults follow the adapter: square matmul 128 to 1024 and conv2d batch 4 on a software
 * adapter; up to 4096 and batch 32 on a GPU.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createWebGpuBackend } from '@lowrank/backend-webgpu';
import { conv2d, createEngine, type Engine, matmul, type Tensor } from '@lowrank/core';
import { timePair } from '../core/timing.js';
import { type AdapterRecord, describeAdapter, knownPeakGflops } from './adapter.js';
import { sampler } from './timing.js';

interface Case {
  name: string;
  flops: number;
  /** The operands on an engine (the same values on every engine) and the timed op. */
  setup(e: Engine): { inputs: Tensor[]; step: () => Tensor };
}

interface Row {
  name: string;
  ours: number;
  peer: number;
  ratio: number;
  unit: string;
  /** WebGPU GFLOP/s over the GPU's fp32 peak, when the peak is known. */
  peakFraction?: number;
}

const SEED = 1;

function matmulCase(n: number): Case {
  return {
    name: `matmul ${n}x${n}x${n}`,
    flops: 2 * n ** 3,
    setup: (e) => {
      const [a, b] = [e.randn([n, n], { seed: SEED }), e.randn([n, n], { seed: SEED + 1 })];
      return { inputs: [a, b], step: () => matmul(a, b) };
    },
  };
}

function convCase(n: number, c: number, o: number, k: number, hw: number, pad: number): Case {
  const out = hw + 2 * pad - k + 1;
  return {
    name: `conv2d N${n} ${c}->${o} ${k}x${k} ${hw}x${hw} pad ${pad}`,
    flops: 2 * n * o * out * out * c * k * k,
    setup: (e) => {
      const x = e.randn([n, c, hw, hw], { seed: SEED });
      const w = e.randn([o, c, k, k], { seed: SEED + 1, std: 1 / Math.sqrt(c * k * k) });
      return { inputs: [x, w], step: () => conv2d(x, w, null, { padding: pad }) };
    },
  };
}

/** Largest |x - ref| relative to the largest |ref|. */
function mismatch(x: ArrayLike<number>, ref: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(x[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return err / scale;
}

function options(adapter: AdapterRecord) {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string' },
      'conv-batch': { type: 'string' },
      'peak-gflops': { type: 'string' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const defaultSizes = adapter.software ? [128, 256, 512, 1024] : [128, 256, 512, 1024, 2048, 4096];
  const sizes = values.sizes?.split(',').map(Number) ?? defaultSizes;
  const convBatch = Number(values['conv-batch'] ?? (adapter.software ? 4 : 32));
  for (const n of [...sizes, convBatch]) {
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`sizes and --conv-batch must be positive integers, got ${n}`);
  }
  const peak = values['peak-gflops'] === undefined ? knownPeakGflops(adapter) : Number(values['peak-gflops']);
  if (peak !== null && !(peak > 0)) throw new Error(`--peak-gflops must be a positive number, got ${peak}`);
  return { sizes, convBatch, peak, write: !values['no-write'] };
}

async function main(): Promise<void> {
  const backend = await createWebGpuBackend();
  const adapter = describeAdapter(backend);
  const o = options(adapter);
  const engines = { webgpu: createEngine({ backend }), cpu: createEngine() };
  console.log(
    `WebGPU adapter: ${adapter.name} [vendor '${adapter.vendor}', architecture '${adapter.architecture}'] ${adapter.description}` +
      `${adapter.software ? ' (software)' : ''}${adapter.compatibility ? ' (compatibility mode)' : ''};` +
      ` fp32 peak ${o.peak === null ? 'unknown' : `${o.peak} GFLOP/s`}`,
  );
  console.log(
    `CPU backend: Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} x ${os.cpus().length}; float32`,
  );
  console.log(
    'each sample: N ops enqueued, then backend.sync() (GPU queue drained); WebGPU and CPU samples alternate, medians',
  );
  const cases = [...o.sizes.map(matmulCase), convCase(o.convBatch, 64, 64, 3, 32, 1)];
  const rows: Row[] = [];
  for (const c of cases) {
    const gpu = c.setup(engines.webgpu);
    const cpu = c.setup(engines.cpu);
    const [got, want] = [gpu.step(), cpu.step()];
    const err = mismatch(await got.data(), await want.data());
    got.dispose();
    want.dispose();
    if (!(err < 1e-4)) throw new Error(`WebGPU disagrees with the CPU on ${c.name}: relative error ${err}`);
    const [gs, cs] = [await sampler(engines.webgpu, gpu.step), await sampler(engines.cpu, cpu.step)];
    const t = await timePair(gs.run, cs.run);
    for (const x of [...gpu.inputs, ...cpu.inputs]) x.dispose();
    const ours = c.flops / (t.ours / gs.iterations) / 1e9;
    const peer = c.flops / (t.peer / cs.iterations) / 1e9;
    const row: Row = {
      name: c.name,
      ours: round(ours),
      peer: round(peer),
      ratio: round(ours / peer),
      unit: 'GFLOP/s',
    };
    if (o.peak !== null) row.peakFraction = round(ours / o.peak, 5);
    rows.push(row);
    console.log(
      `${c.name}: webgpu ${row.ours} vs cpu ${row.peer} GFLOP/s (x${row.ratio}; ${gs.iterations} and ${cs.iterations} ops per sample, ${t.runs} samples)`,
    );
  }
  backend.dispose();
  console.table(
    rows.map((r) => ({
      case: r.name,
      'webgpu GFLOP/s': r.ours,
      'cpu GFLOP/s': r.peer,
      'webgpu/cpu': r.ratio,
      ...(r.peakFraction === undefined ? {} : { 'of fp32 peak': `${(100 * r.peakFraction).toFixed(2)}%` }),
    })),
  );
  if (!o.write) return;
  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}webgpu.json`, `${JSON.stringify({ adapter, peakGflops: o.peak, rows }, null, 2)}\n`);
  console.log(`wrote ${dir}webgpu.json`);
}

function round(x: number, digits = 3): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}

await main();
