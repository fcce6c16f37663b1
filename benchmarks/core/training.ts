/**
 * Training throughput on the CPU: images per second of SGD steps (forward, softmax
 * cross-entropy, backward, momentum 0.9 update) of LeNet-5 and ResNet-8 at batch 64 on
 * 28x28 inputs, lowrank's CPU backend against peers training the same architectures
 * on the same data in the same run:
 *   - TensorFlow.js 4.22 (tfjs-core ops, tf.variableGrads) on its WebAssembly backend
 *     (XNNPACK) and its plain-JS CPU backend, timed alternately with ours (ABBA);
 *   - PyTorch on the CPU through Debian's /usr/bin/python3, with one thread (ours is
 *     single-threaded) and with its default thread count, in a subprocess after ours;
 *     skipped with the reason printed when that Python has no torch.
 * Prints a table and writes results/core-training.json as rows
 * { model, peer, ours, peerImagesPerSecond, ratio } (images/s, ratio = ours / peer).
 *
 *   pnpm --filter @lowrank/benchmarks bench:core-training [--only <substring of "model | peer">]
 *
 * With --only, only the matching rows run and nothing is written.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createEngine, crossEntropy, type nn, optim } from '@lowrank/core';
import { LeNet5, ResNet8 } from '@lowrank/models';
import { type ModelName, type TfjsBackend, tfjsTrainingStep, useTfjs } from './peers/tfjs-training.js';
import { timePair } from './timing.js';

const BATCH = 64;
const WARMUP_STEPS = 2;
const TIMING = { minRuns: 5, maxRuns: 15, minSeconds: 6 };
const SLOW_TIMING = { minRuns: 3, maxRuns: 3, minSeconds: 0 };
const PYTHON = '/usr/bin/python3';

interface Row {
  model: string;
  peer: string;
  /** images per second, median step */
  ours: number;
  /** null where the peer could not run (see skipped) */
  peerImagesPerSecond: number | null;
  ratio: number | null;
  skipped?: string;
}

const engine = createEngine({ backend: 'cpu', seed: 0 });
const images = engine.keep(engine.randn([BATCH, 1, 28, 28], { seed: 1 }));
const labelValues = Int32Array.from({ length: BATCH }, (_, i) => (i * 7) % 10);
const labels = engine.keep(engine.fromData(labelValues.slice(), [BATCH]));
const imageValues = images.dataSync() as Float32Array;

function oursStep(model: nn.Module): () => void {
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  return () =>
    engine.tidy(() => {
      optimizer.zeroGrad();
      crossEntropy(model.call(images), labels).backward();
      optimizer.step();
    });
}

const models: [ModelName, () => nn.Module][] = [
  ['LeNet-5', () => new LeNet5(engine)],
  ['ResNet-8', () => new ResNet8(engine)],
];

const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? (process.argv[onlyIndex + 1] ?? '') : '';
const selected = (model: string, peer: string) => `${model} | ${peer}`.includes(only);

console.log(
  `Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} x ${os.cpus().length}; float32, batch ${BATCH}; lowrank on one thread`,
);
const rows: Row[] = [];
const oursSeconds = new Map<string, number[]>();

for (const backend of ['wasm', 'cpu'] as TfjsBackend[]) {
  const peer = `tfjs-backend-${backend}`;
  if (!models.some(([name]) => selected(name, peer))) continue;
  const note = await useTfjs(backend);
  if (note) console.log(`${peer}: ${note}`);
  for (const [name, make] of models) {
    if (!selected(name, peer)) continue;
    if (backend === 'cpu' && name === 'ResNet-8') {
      // measured once: over 200 s per step, nearly all in its naive Conv2DBackpropFilter
      skip(
        name,
        peer,
        'one step takes over 3 minutes: tfjs-backend-cpu computes conv filter gradients naively',
      );
      continue;
    }
    const ours = oursStep(make());
    const theirs = tfjsTrainingStep(name, imageValues, BATCH, labelValues);
    try {
      for (let i = 0; i < WARMUP_STEPS; i++) {
        ours();
        theirs.step();
      }
    } catch (e) {
      // tfjs-backend-wasm has no Conv2DBackpropFilter kernel: it cannot train conv nets
      theirs.dispose();
      skip(name, peer, (e as Error).message);
      continue;
    }
    // tfjs-backend-cpu takes seconds per LeNet-5 step: fewer runs
    const t = await timePair(ours, () => theirs.step(), backend === 'cpu' ? SLOW_TIMING : TIMING);
    theirs.dispose();
    oursSeconds.set(name, [...(oursSeconds.get(name) ?? []), t.ours]);
    rows.push(row(name, peer, BATCH / t.ours, BATCH / t.peer));
    console.log(`${name} vs ${peer}: ${rows.at(-1)!.ours} vs ${rows.at(-1)!.peerImagesPerSecond} images/s`);
  }
}

for (const threads of [1, 0]) {
  const peer = threads === 1 ? 'pytorch-cpu 1 thread' : 'pytorch-cpu default threads';
  const wanted = models.filter(([name]) => selected(name, peer));
  if (wanted.length === 0) continue;
  const result = pytorch(
    threads,
    wanted.map(([name]) => name),
  );
  if (typeof result === 'string') {
    for (const [name] of wanted) skip(name, peer, result);
    continue;
  }
  const label = `pytorch-cpu ${result.torch}, ${threads === 1 ? '1 thread' : `default threads (${result.threads})`}`;
  for (const [name] of wanted) {
    const peerRow = result.rows.find((r) => r.model === name);
    if (!peerRow) continue;
    rows.push(row(name, label, BATCH / oursAlone(name), peerRow.imagesPerSecond));
  }
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

/** A row without a peer number: ours alone, and why the peer did not run. */
function skip(model: string, peer: string, reason: string): void {
  console.log(`${model} vs ${peer}: skipped (${reason})`);
  rows.push({
    model,
    peer,
    ours: Math.round(BATCH / oursAlone(model)),
    peerImagesPerSecond: null,
    ratio: null,
    skipped: reason,
  });
}

/** Median seconds per step of ours: as measured beside a peer, or alone now. */
function oursAlone(model: string): number {
  let seconds = oursSeconds.get(model);
  if (!seconds) {
    const make = models.find(([name]) => name === model)![1];
    seconds = [measureOurs(make())];
    oursSeconds.set(model, seconds);
  }
  return median(seconds);
}

function row(model: string, peer: string, ours: number, theirs: number): Row {
  return {
    model,
    peer,
    ours: Math.round(ours),
    peerImagesPerSecond: Math.round(theirs),
    ratio: Number((ours / theirs).toFixed(3)),
  };
}

/** Median seconds per step of ours alone. */
function measureOurs(model: nn.Module): number {
  const step = oursStep(model);
  for (let i = 0; i < WARMUP_STEPS; i++) step();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < TIMING.minRuns || performance.now() - start < TIMING.minSeconds * 1000) {
    const t0 = performance.now();
    step();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

interface TorchResult {
  torch: string;
  threads: number;
  rows: { model: string; imagesPerSecond: number }[];
}

/** Runs peers/torch_training.py; a string says why it could not. */
function pytorch(threads: number, names: string[]): TorchResult | string {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} did not start: ${probe.error.message}`;
  if (probe.status !== 0) return `${PYTHON} has no torch: ${probe.stderr.trim().split('\n').at(-1)}`;
  const script = fileURLToPath(new URL('./peers/torch_training.py', import.meta.url));
  const run = spawnSync(
    PYTHON,
    [
      script,
      '--threads',
      String(threads),
      '--batch',
      String(BATCH),
      '--min-steps',
      String(TIMING.minRuns),
      '--min-seconds',
      String(TIMING.minSeconds),
      '--models',
      names.join(','),
    ],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) return `torch_training.py failed: ${run.stderr.trim().split('\n').at(-1)}`;
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as TorchResult;
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
