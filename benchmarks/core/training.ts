/**
 * Training throughput on the CPU backend: images per second of SGD steps (forward,
 * cross-entropy, backward, update) of LeNet-5 and ResNet-8 at batch 64 on 28x28 inputs,
 * where the convolutions dominate. lowrank only (no peer trains these models here); the
 * numbers are for comparing versions of our kernels on one machine. Prints a table and
 * writes results/core-training.json as rows { model, batch, steps, imagesPerSecond }.
 *
 *   pnpm --filter @lowrank/benchmarks bench:core-training
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createEngine, crossEntropy, type nn, optim } from '@lowrank/core';
import { LeNet5, ResNet8 } from '@lowrank/models';

const BATCH = 64;
const WARMUP_STEPS = 2;
/** timed steps per model: at least this many, and until MIN_SECONDS have passed */
const MIN_STEPS = 5;
const MIN_SECONDS = 4;

interface Row {
  model: string;
  batch: number;
  steps: number;
  /** median over the timed steps */
  imagesPerSecond: number;
}

const engine = createEngine({ backend: 'cpu', seed: 0 });

function throughput(name: string, model: nn.Module): Row {
  const x = engine.keep(engine.randn([BATCH, 1, 28, 28], { seed: 1 }));
  const labels = engine.keep(
    engine.fromData(
      Int32Array.from({ length: BATCH }, (_, i) => (i * 7) % 10),
      [BATCH],
    ),
  );
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const step = (): void =>
    engine.tidy(() => {
      optimizer.zeroGrad();
      crossEntropy(model.call(x), labels).backward();
      optimizer.step();
    });
  for (let i = 0; i < WARMUP_STEPS; i++) step();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < MIN_STEPS || performance.now() - start < MIN_SECONDS * 1000) {
    const t0 = performance.now();
    step();
    times.push((performance.now() - t0) / 1000);
  }
  x.dispose();
  labels.dispose();
  times.sort((a, b) => a - b);
  const median = times[times.length >> 1];
  return { model: name, batch: BATCH, steps: times.length, imagesPerSecond: Math.round(BATCH / median) };
}

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : '';
console.log(
  `Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} x ${os.cpus().length}; float32, one thread`,
);
const rows: Row[] = [];
for (const [name, make] of [
  ['LeNet-5', () => new LeNet5(engine)],
  ['ResNet-8', () => new ResNet8(engine)],
] as const) {
  if (!name.includes(only)) continue;
  const row = throughput(name, make());
  console.log(`${name}: ${row.imagesPerSecond} images/s (median of ${row.steps} steps)`);
  rows.push(row);
}
console.table(rows);
if (!only) {
  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  // written whole or not at all
  writeFileSync(`${dir}core-training.json.tmp`, `${JSON.stringify(rows, null, 2)}\n`);
  renameSync(`${dir}core-training.json.tmp`, `${dir}core-training.json`);
  console.log(`wrote ${dir}core-training.json`);
}
