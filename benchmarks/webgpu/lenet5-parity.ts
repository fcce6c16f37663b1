/**
 * Issue #8's parity check as a script: LeNet-5 trained for one epoch on the bundled
 * Fashion-MNIST subset (batch 16, one-cycle lr 0.05, SGD Nesterov 0.9, wd 5e-4) on the
 * CPU and on WebGPU from the same initial weights; prints both test accuracies and
 * writes results/webgpu-lenet5.json.
 *
 *   pnpm --filter @lowrank/benchmarks bench:webgpu-lenet5 [--train-count N] [--seeds K]
 *
 * One epoch of small-batch SGD amplifies float32 rounding differences (the backends sum
 * in different orders), so one seed's accuracies can differ by more than the backends
 * do. With --seeds K the recipe runs with seeds 0..K-1 on both backends and the parity
 * claim is made on the mean accuracies, next to the spread across seeds.
 * With --train-count, only the first N training images are used and nothing is written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createWebGpuBackend } from '@lowrank/backend-webgpu';
import { loadFashionMnist } from '@lowrank/fashion-mnist';
import { type Lenet5Parity, lenet5Parity } from '../../packages/backend-webgpu/test/lenet5-parity.js';
import { describeAdapter } from './adapter.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'train-count': { type: 'string' }, seeds: { type: 'string' } } });
  const trainCount = values['train-count'] === undefined ? undefined : Number(values['train-count']);
  const seeds = Number(values.seeds ?? 1);
  if (!Number.isInteger(seeds) || seeds < 1)
    throw new Error(`--seeds must be a positive integer, got ${values.seeds}`);
  const backend = await createWebGpuBackend();
  const adapter = describeAdapter(backend);
  console.log(`adapter: ${adapter.name} (${adapter.software ? 'software' : 'hardware'})`);
  const trainSet = await loadFashionMnist({ split: 'train' });
  const testSet = await loadFashionMnist({ split: 'test' });
  const runs: (Lenet5Parity & { seed: number })[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    const r = await lenet5Parity(backend, trainSet, testSet, { trainCount, seed });
    runs.push({ seed, ...r });
    console.log(
      `seed ${seed}: accuracy webgpu ${round(r.webgpu.accuracy)} cpu ${round(r.cpu.accuracy)}; seconds webgpu ${round(r.webgpu.seconds)} cpu ${round(r.cpu.seconds)}`,
    );
  }
  backend.dispose();

  const mean = (pick: (r: Lenet5Parity) => number) => runs.reduce((a, r) => a + pick(r), 0) / runs.length;
  const std = (pick: (r: Lenet5Parity) => number) => {
    const m = mean(pick);
    return Math.sqrt(runs.reduce((a, r) => a + (pick(r) - m) ** 2, 0) / Math.max(1, runs.length - 1));
  };
  const difference = mean((r) => r.webgpu.accuracy) - mean((r) => r.cpu.accuracy);
  const rows = [
    {
      name: 'LeNet-5 1 epoch test accuracy (mean over seeds) | webgpu vs cpu',
      ours: mean((r) => r.webgpu.accuracy),
      peer: mean((r) => r.cpu.accuracy),
    },
    {
      name: 'LeNet-5 1 epoch mean train loss (mean over seeds) | webgpu vs cpu',
      ours: mean((r) => r.webgpu.loss),
      peer: mean((r) => r.cpu.loss),
    },
    {
      name: 'LeNet-5 1 epoch + test, seconds (mean over seeds) | webgpu vs cpu',
      ours: mean((r) => r.webgpu.seconds),
      peer: mean((r) => r.cpu.seconds),
    },
  ].map((row, i) => ({
    name: row.name,
    ours: round(row.ours),
    peer: round(row.peer),
    ratio: round(row.ours / row.peer),
    unit: ['fraction', 'nats', 's'][i],
  }));
  console.table(rows);
  const spread = { webgpu: round(std((r) => r.webgpu.accuracy)), cpu: round(std((r) => r.cpu.accuracy)) };
  console.log(
    `${runs[0].trainCount} training / ${runs[0].testCount} test images, ${seeds} seed(s); mean accuracy webgpu - cpu = ${round(difference)} (${Math.abs(difference) <= 0.01 ? 'within' : 'NOT within'} 1 point); std across seeds: webgpu ${spread.webgpu}, cpu ${spread.cpu}`,
  );
  if (trainCount !== undefined) return;
  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const record = {
    adapter,
    trainCount: runs[0].trainCount,
    testCount: runs[0].testCount,
    seeds,
    difference: round(difference),
    spread,
    perSeed: runs.map((r) => ({
      seed: r.seed,
      webgpu: round(r.webgpu.accuracy),
      cpu: round(r.cpu.accuracy),
    })),
    rows,
  };
  writeFileSync(`${dir}webgpu-lenet5.json`, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`wrote ${dir}webgpu-lenet5.json`);
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}

await main();
