/**
 * Issue #8's parity check as a script: LeNet-5 trained for one epoch on the bundled
 * Fashion-MNIST subset (batch 16, one-cycle lr 0.05, SGD Nesterov 0.9, wd 5e-4) on the
 * CPU and on WebGPU from the same initial weights; prints both test accuracies and
 * writes results/webgpu-lenet5.json.
 *
 *   pnpm --filter @lowrank/benchmarks bench:webgpu-lenet5 [--train-count N]
 *
 * With --train-count, only the first N training images are used and nothing is written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createWebGpuBackend } from '@lowrank/backend-webgpu';
import { loadFashionMnist } from '@lowrank/fashion-mnist';
import { lenet5Parity } from '../../packages/backend-webgpu/test/lenet5-parity.js';
import { describeAdapter } from './adapter.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'train-count': { type: 'string' } } });
  const trainCount = values['train-count'] === undefined ? undefined : Number(values['train-count']);
  const backend = await createWebGpuBackend();
  const adapter = describeAdapter(backend);
  console.log(`adapter: ${adapter.name} (${adapter.software ? 'software' : 'hardware'})`);
  const trainSet = await loadFashionMnist({ split: 'train' });
  const testSet = await loadFashionMnist({ split: 'test' });
  const r = await lenet5Parity(backend, trainSet, testSet, { trainCount });
  backend.dispose();

  const difference = r.webgpu.accuracy - r.cpu.accuracy;
  const rows = [
    { name: 'LeNet-5 1 epoch test accuracy | webgpu vs cpu', ours: r.webgpu.accuracy, peer: r.cpu.accuracy },
    { name: 'LeNet-5 1 epoch mean train loss | webgpu vs cpu', ours: r.webgpu.loss, peer: r.cpu.loss },
    { name: 'LeNet-5 1 epoch + test, seconds | webgpu vs cpu', ours: r.webgpu.seconds, peer: r.cpu.seconds },
  ].map((row, i) => ({
    name: row.name,
    ours: round(row.ours),
    peer: round(row.peer),
    ratio: round(row.ours / row.peer),
    unit: ['fraction', 'nats', 's'][i],
  }));
  console.table(rows);
  console.log(
    `${r.trainCount} training / ${r.testCount} test images; accuracy webgpu - cpu = ${round(difference)} (${Math.abs(difference) <= 0.01 ? 'within' : 'NOT within'} 1 point)`,
  );
  if (trainCount !== undefined) return;
  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const record = {
    adapter,
    trainCount: r.trainCount,
    testCount: r.testCount,
    difference: round(difference),
    rows,
  };
  writeFileSync(`${dir}webgpu-lenet5.json`, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`wrote ${dir}webgpu-lenet5.json`);
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}

await main();
