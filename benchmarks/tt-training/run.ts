/**
 * Training speed of a TT-compressed LeNet-5 against the dense one, in one process on the CPU
 * backend: SGD steps (forward, backward, update; Nesterov momentum and weight decay as
 * reproduce-admm) on the bundled Fashion-MNIST training images. The TT model is built as
 * reproduce-admm builds it: the reference LeNet-5, one TT rank for every layer at a 10x
 * model compression (`planRanks`, rule 'equal'), each layer replaced by `factorizeLayers`.
 * Prints images/s of each model, their ratio, and where each step's time goes by kernel;
 * writes results/tt-training.json.
 *
 *   pnpm --filter @lowrank/benchmarks bench:tt-training [--rounds 7] [--steps 20] [--batch-size 64]
 *
 * The two models are timed alternately, `--steps` steps at a time, after a warm-up, and the
 * medians are compared, so load from other processes affects both alike. The kernel profiles
 * run afterwards, alternating too (timers around every backend kernel slow a step a little); the time
 * outside kernels is the engine's bookkeeping (tidy scopes, autodiff graph, disposal) and
 * the JavaScript of the layers and the optimizer.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { factorizeLayers } from '@lowrank/admm';
import {
  batches,
  createEngine,
  crossEntropy,
  type Engine,
  type nn,
  optim,
  type TensorInfo,
} from '@lowrank/core';
import { loadWeightsFile } from '@lowrank/core/node';
import { FASHION_MNIST_NORMALIZATION, loadFashionMnist } from '@lowrank/fashion-mnist';
import { LeNet5 } from '@lowrank/models';
import { type TtConv2d, TtLinear, tt, ttConv2dPlan, ttLinearPlan } from '@lowrank/tt';
import { LENET5_LAYERS, planRanks } from '../reproduce-admm/ranks.js';

const MODEL = fileURLToPath(new URL('../../../shared/models/fmnist-lenet5.safetensors', import.meta.url));
const RESULTS = new URL('../results/', import.meta.url);
const SAMPLE_SHAPE = [1, 28, 28];

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    steps: { type: 'string', default: '20' },
    'batch-size': { type: 'string', default: '64' },
    warmup: { type: 'string', default: '5' },
    'profile-steps': { type: 'string', default: '20' },
  },
});
const positive = (name: string, v: string | undefined): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive integer, got '${v}'`);
  return n;
};
const ROUNDS = positive('rounds', args.rounds);
const STEPS = positive('steps', args.steps);
const BATCH = positive('batch-size', args['batch-size']);
const WARMUP = positive('warmup', args.warmup);
const PROFILE_STEPS = positive('profile-steps', args['profile-steps']);

interface Batch {
  x: Float32Array;
  xShape: number[];
  y: Int32Array;
  size: number;
}

/** One SGD step, everything it creates freed before it returns. */
function step(engine: Engine, model: nn.Module, optimizer: optim.SGD, b: Batch): void {
  engine.tidy(() => {
    const loss = crossEntropy(model.call(engine.fromData(b.x, b.xShape)), engine.fromData(b.y, [b.size]));
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
  });
}

/** A trainer that cycles through the same full batches (copied per step: `fromData` takes ownership). */
function trainer(engine: Engine, model: nn.Module, data: Batch[]) {
  const optimizer = new optim.SGD(model.parameters(), {
    lr: 0.01,
    momentum: 0.9,
    nesterov: true,
    weightDecay: 5e-4,
  });
  let next = 0;
  return {
    /** Runs `n` steps; returns their seconds. */
    run(n: number): number {
      const started = performance.now();
      for (let i = 0; i < n; i++) {
        const b = data[next++ % data.length];
        step(engine, model, optimizer, { ...b, x: b.x.slice(), y: b.y.slice() });
      }
      return (performance.now() - started) / 1000;
    },
    dispose: () => optimizer.dispose(),
  };
}

type Profile = { total: number; rows: { kernel: string; msPerStep: number; callsPerStep: number }[] };

/**
 * Times every backend kernel that `run` calls; `report` gives milliseconds per step in each
 * kernel (and outside all of them) over the steps timed so far.
 */
function kernelProfiler(engine: Engine) {
  const time = new Map<string, { ms: number; calls: number }>();
  let steps = 0;
  let ms = 0;
  return {
    time(run: (n: number) => number, n: number): void {
      const backend = engine.backend;
      const { runKernel, runOptionalKernel } = backend;
      const timed = (kernel: string, call: () => TensorInfo[]) => {
        const started = performance.now();
        const out = call();
        const entry = time.get(kernel) ?? { ms: 0, calls: 0 };
        entry.ms += performance.now() - started;
        entry.calls++;
        time.set(kernel, entry);
        return out;
      };
      backend.runKernel = function (this: typeof backend, ...a: Parameters<typeof runKernel>) {
        return timed(a[0], () => runKernel.apply(this, a));
      } as typeof runKernel;
      if (runOptionalKernel) {
        backend.runOptionalKernel = function (
          this: typeof backend,
          ...a: Parameters<typeof runOptionalKernel>
        ) {
          return timed(a[0], () => runOptionalKernel.apply(this, a));
        } as typeof runOptionalKernel;
      }
      try {
        ms += run(n) * 1000;
        steps += n;
      } finally {
        backend.runKernel = runKernel;
        backend.runOptionalKernel = runOptionalKernel;
      }
    },
    report(): Profile {
      const rows = [...time]
        .map(([kernel, t]) => ({ kernel, msPerStep: t.ms / steps, callsPerStep: t.calls / steps }))
        .sort((a, b) => b.msPerStep - a.msPerStep);
      const total = ms / steps;
      const inKernels = rows.reduce((s, r) => s + r.msPerStep, 0);
      rows.push({ kernel: '(outside kernels)', msPerStep: total - inKernels, callsPerStep: 0 });
      return { total, rows };
    },
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main(): Promise<void> {
  const engine = createEngine({ seed: 0 });
  const train = await loadFashionMnist({ split: 'train' });
  const data: Batch[] = [];
  for (const b of batches({
    images: train.images,
    labels: train.labels,
    count: train.count,
    sampleShape: SAMPLE_SHAPE,
    batchSize: BATCH,
    shuffle: true,
    seed: 0,
    normalize: FASHION_MNIST_NORMALIZATION,
  })) {
    if (b.size === BATCH)
      data.push({ x: b.x as Float32Array, xShape: b.xShape, y: b.y as Int32Array, size: b.size });
  }

  const dense = new LeNet5(engine);
  await loadWeightsFile(dense, MODEL);
  const compressed = new LeNet5(engine);
  await loadWeightsFile(compressed, MODEL);
  const decomposition = tt();
  const plan = await planRanks(engine, compressed, decomposition, 10, 'equal');
  await factorizeLayers(
    engine,
    compressed,
    plan.layers.flatMap((l) => (l.ranks ? [{ name: l.name, decomposition, ranks: l.ranks }] : [])),
  );
  dense.train();
  compressed.train();

  const models = {
    dense: { model: dense, trainer: trainer(engine, dense, data), seconds: [] as number[] },
    tt: { model: compressed, trainer: trainer(engine, compressed, data), seconds: [] as number[] },
  };
  for (const m of Object.values(models)) m.trainer.run(WARMUP);
  for (let r = 0; r < ROUNDS; r++) {
    for (const m of Object.values(models)) m.seconds.push(m.trainer.run(STEPS));
  }
  const imagesPerSecond = (s: number[]) => (STEPS * BATCH) / median(s);
  const denseRate = imagesPerSecond(models.dense.seconds);
  const ttRate = imagesPerSecond(models.tt.seconds);
  // The profiles alternate too, a few steps at a time.
  const profilers = { dense: kernelProfiler(engine), tt: kernelProfiler(engine) };
  const chunk = Math.max(1, Math.round(PROFILE_STEPS / 4));
  for (let done = 0; done < PROFILE_STEPS; done += chunk) {
    for (const name of ['dense', 'tt'] as const) profilers[name].time(models[name].trainer.run, chunk);
  }
  const profiles = { dense: profilers.dense.report(), tt: profilers.tt.report() };

  // How each TT layer contracts a batch, and the MACs per image that makes.
  const plans = plan.layers.flatMap(({ name, ranks, cost }) => {
    if (!ranks) return [];
    const layer = compressed.getModule(name);
    const inputSize = LENET5_LAYERS.find((l) => l.name === name)?.inputSize ?? [1, 1];
    const chosen =
      layer instanceof TtLinear
        ? ttLinearPlan(layer.settings.outModes, layer.settings.inModes, layer.settings.ranks, BATCH)
        : ttConv2dPlan((layer as TtConv2d).settings, BATCH, inputSize);
    return [{ name, ...chosen, macsPerImage: chosen.macs / BATCH, perSampleMacs: cost.flops }];
  });
  const ttBatchMacs =
    plan.flops.after -
    plans.reduce((s, p) => s + p.perSampleMacs, 0) +
    plans.reduce((s, p) => s + p.macsPerImage, 0);

  console.log(`LeNet-5 SGD steps, batch ${BATCH}, CPU backend, median of ${ROUNDS} rounds of ${STEPS} steps`);
  console.log(
    `TT ranks per layer: ${plan.layers.map((l) => `${l.name} ${l.ranks ? `[${l.ranks}]` : 'dense'}`).join(', ')}`,
  );
  for (const p of plans) {
    const how =
      'segments' in p
        ? `cores ${JSON.stringify(p.segments)}`
        : `fold first ${p.mergeFirst}, fold last ${p.mergeLast}`;
    console.log(
      `${p.name}: ${how}, ${p.macsPerImage.toFixed(0)} MACs / image at batch ${BATCH} (one sample: ${p.perSampleMacs})`,
    );
  }
  console.log(
    '| model | params | MACs / image, one sample | MACs / image, this batch | images/s | ms / step |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  const row = (name: string, params: number, macs: number, batchMacs: number, rate: number) =>
    console.log(
      `| ${name} | ${params} | ${macs} | ${batchMacs.toFixed(0)} | ${rate.toFixed(0)} | ${((1000 * BATCH) / rate).toFixed(2)} |`,
    );
  row('dense', plan.params.before, plan.flops.before, plan.flops.before, denseRate);
  row('tt', plan.params.after, plan.flops.after, ttBatchMacs, ttRate);
  console.log(
    `TT / dense speed: ${(ttRate / denseRate).toFixed(3)} (dense / TT time per step: ${(denseRate / ttRate).toFixed(3)})`,
  );
  for (const [name, p] of Object.entries(profiles)) {
    console.log(`\nkernel profile, ${name} (${p.total.toFixed(2)} ms / step with timers):`);
    console.log('| kernel | ms / step | calls / step |');
    console.log('| --- | ---: | ---: |');
    for (const r of p.rows) console.log(`| ${r.kernel} | ${r.msPerStep.toFixed(3)} | ${r.callsPerStep} |`);
  }

  const record = {
    benchmark: 'tt-training',
    description:
      'SGD training steps (forward, backward, update) of LeNet-5 dense and TT-compressed as reproduce-admm (10x, rule equal) on the CPU backend, bundled Fashion-MNIST',
    settings: {
      batchSize: BATCH,
      rounds: ROUNDS,
      stepsPerRound: STEPS,
      warmupSteps: WARMUP,
      profileSteps: PROFILE_STEPS,
    },
    ranks: Object.fromEntries(plan.layers.map((l) => [l.name, l.ranks])),
    plans,
    models: {
      dense: {
        params: plan.params.before,
        macs: plan.flops.before,
        imagesPerSecond: denseRate,
        seconds: models.dense.seconds,
      },
      tt: {
        params: plan.params.after,
        macs: plan.flops.after,
        macsPerImageAtBatch: ttBatchMacs,
        imagesPerSecond: ttRate,
        seconds: models.tt.seconds,
      },
    },
    ttOverDenseSpeed: ttRate / denseRate,
    denseOverTtTime: denseRate / ttRate,
    kernelProfiles: profiles,
    node: process.version,
    date: new Date().toISOString(),
  };
  mkdirSync(RESULTS, { recursive: true });
  const out = new URL('tt-training.json', RESULTS);
  const tmp = new URL('tt-training.json.tmp', RESULTS);
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(tmp, out);
  console.log(`\nwrote ${fileURLToPath(out)}`);
  for (const m of Object.values(models)) m.trainer.dispose();
  dense.dispose();
  compressed.dispose();
}

await main();
