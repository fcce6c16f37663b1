/**
 * WebGPU benchmark: float32 matmul and conv2d through the engine's public ops on the
 * WebGPU backend and on the CPU backend, in one process, on the same data. Prints
 * GFLOP/s and writes results/webgpu.json: the adapter, its fp32 peak when known, and
 * rows { name, ours, peer, ratio, unit[, peakFraction] } with ours = WebGPU, peer = CPU.
 *
 *   pnpm --filter @lowrank/benchmarks bench:webgpu [--sizes 128,256,...,4096]
 *     [--conv-batch N] [--peak-gflops X] [--tiles 64x64x16/8x4,128x128x16/8x8,...] [--no-write]
 *
 * `--tiles` also times the square matmuls with each fixed GEMM tile (WebGPU only), to
 * check the per-adapter tile choice; those rows go under `tiles` in the JSON.
 *
 * Defaults follow the adapter: square matmul 128 to 1024 and conv2d batch 4 on a software
 * adapter; up to 4096 and batch 32 on a GPU.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createWebGpuBackend, type MatmulTile, tileName } from '@lowrank/backend-webgpu';
import { conv2d, createEngine, type Engine, matmul, type Tensor } from '@lowrank/core';
import { type AdapterRecord, describeAdapter, knownPeakGflops } from './adapter.js';
import { medianSeconds, sampler } from './timing.js';

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

/** '128x64x16/8x8' -> a tile of 128 x 64 outputs staged 16 deep in K, 8 x 8 per thread. */
function parseTile(text: string): MatmulTile {
  const match = /^(\d+)x(\d+)x(\d+)\/(\d+)x(\d+)$/.exec(text);
  if (!match) throw new Error(`--tiles: expected MxNxK/RxC like 128x64x16/8x8, got '${text}'`);
  const [m, n, k, rows, columns] = match.slice(1).map(Number);
  if (columns % 4 !== 0)
    throw new Error(`--tiles: columns per thread must be a multiple of 4, got '${text}'`);
  return { m, n, k, rows, cols: columns / 4 };
}

/** WebGPU GFLOP/s of the square matmuls with a fixed tile: the median of the sampler's samples. */
async function tileRows(
  tile: MatmulTile,
  sizes: readonly number[],
  peak: number | null,
  dawnFlags: string[],
) {
  const backend = await createWebGpuBackend({ matmulTile: tile, dawnFlags });
  const engine = createEngine({ backend });
  const rows = [];
  for (const n of sizes) {
    const c = matmulCase(n);
    const { inputs, step } = c.setup(engine);
    const s = await sampler(engine, step);
    const seconds = await medianSeconds(s.run);
    for (const x of inputs) x.dispose();
    const gflops = c.flops / (seconds / s.iterations) / 1e9;
    rows.push({
      name: `${c.name} tile ${tileName(tile)}`,
      gflops: round(gflops),
      ...(peak === null ? {} : { peakFraction: round(gflops / peak, 5) }),
    });
    console.log(`${rows.at(-1)?.name}: ${round(gflops)} GFLOP/s`);
  }
  backend.dispose();
  return rows;
}

function options(adapter: AdapterRecord) {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string' },
      'conv-batch': { type: 'string' },
      'peak-gflops': { type: 'string' },
      tiles: { type: 'string' },
      'dawn-flags': { type: 'string' },
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
  const tiles = values.tiles?.split(',').map(parseTile) ?? [];
  return { sizes, convBatch, peak, tiles, write: !values['no-write'] };
}

async function main(): Promise<void> {
  // Dawn toggles for experiments, ';'-separated (e.g. 'enable-dawn-features=...'); recorded in the JSON.
  const dawnFlags = parseArgs({ options: { 'dawn-flags': { type: 'string' } }, strict: false }).values[
    'dawn-flags'
  ];
  const flags = typeof dawnFlags === 'string' ? dawnFlags.split(';') : [];
  const backend = await createWebGpuBackend({ dawnFlags: flags });
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
    'each sample: N ops enqueued, then backend.sync() (GPU queue drained); each side timed in its own block after a warm-up sample (a GPU left idle while the CPU side runs clocks down), medians',
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
    const gs = await sampler(engines.webgpu, gpu.step);
    const gpuSeconds = await medianSeconds(gs.run);
    const cs = await sampler(engines.cpu, cpu.step);
    const cpuSeconds = await medianSeconds(cs.run);
    for (const x of [...gpu.inputs, ...cpu.inputs]) x.dispose();
    const ours = c.flops / (gpuSeconds / gs.iterations) / 1e9;
    const peer = c.flops / (cpuSeconds / cs.iterations) / 1e9;
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
      `${c.name}: webgpu ${row.ours} vs cpu ${row.peer} GFLOP/s (x${row.ratio}; ${gs.iterations} and ${cs.iterations} ops per sample)`,
    );
  }
  backend.dispose();
  const tiles = [];
  for (const tile of o.tiles) tiles.push(...(await tileRows(tile, o.sizes, o.peak, flags)));
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
  writeFileSync(
    `${dir}webgpu.json`,
    `${JSON.stringify({ adapter, dawnFlags: flags, peakGflops: o.peak, matmulTile: tileName(backend.matmulTile), rows, tiles }, null, 2)}\n`,
  );
  console.log(`wrote ${dir}webgpu.json`);
}

function round(x: number, digits = 3): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}

await main();
