/**
 * What compression buys at inference, measured where a compressed model is deployed:
 * the reference LeNet-5 and ResNet-8 (PyTorch's ONNX files) are imported with
 * `@lowrank/onnx`, compressed by `@lowrank/compress` (Tucker2 for convs, SVD for linears,
 * the Sigma norm from 500 training images, rank-budget at a whole-model params ratio, no
 * fine-tuning), exported
 * again, and run in onnxruntime (the peer) and on lowrank's CPU backend, on the same
 * batch in the same run. Prints the table and writes results/onnx.json.
 *
 *   pnpm --filter @lowrank/benchmarks bench:onnx [--ratios 2,3] [--batch 256] [--runs 15]
 *
 * Both sides use one thread (onnxruntime's intra- and inter-op pools are set to 1; the
 * CPU backend is single-threaded), so the ratios compare kernels, not core counts.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { compress } from '@lowrank/compress';
import { argmax, batches, createEngine, type Engine, type nn } from '@lowrank/core';
import {
  FASHION_MNIST_NORMALIZATION,
  type FashionMnist,
  loadFashionMnist,
  tensorBatches,
} from '@lowrank/fashion-mnist';
import { sigma } from '@lowrank/norm-sigma';
import { exportOnnx, importOnnx } from '@lowrank/onnx';
import { rankBudget } from '@lowrank/rank-budget';
import { svd } from '@lowrank/svd';
import { tucker2 } from '@lowrank/tucker2';
import * as ort from 'onnxruntime-node';
import { testAccuracy } from '../common/accuracy.js';

const MODELS = ['lenet5', 'resnet8'] as const;
const SAMPLE = [1, 28, 28];

const { values } = parseArgs({
  options: {
    ratios: { type: 'string', default: '2,3' },
    batch: { type: 'string', default: '256' },
    runs: { type: 'string', default: '15' },
  },
});
const ratios = String(values.ratios).split(',').map(Number);
const batchSize = Number(values.batch);
const runs = Number(values.runs);
if (ratios.some((r) => !(r > 1)) || !(batchSize >= 1) || !(runs >= 3))
  throw new RangeError('--ratios must be numbers > 1, --batch >= 1, --runs >= 3');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median milliseconds of `fn` over `runs` calls after two warm-up calls. */
async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  await fn();
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

/** The first `count` normalised test images as one NCHW batch. */
function imageBatch(data: FashionMnist, count: number): Float32Array {
  const [b] = batches({
    images: data.images,
    labels: data.labels,
    count,
    sampleShape: SAMPLE,
    batchSize: count,
    normalize: FASHION_MNIST_NORMALIZATION,
  });
  return Float32Array.from(b.x);
}

async function ortSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
}

/** Accuracy of an ONNX model in onnxruntime on the whole test set, in batches of 250. */
async function ortAccuracy(session: ort.InferenceSession, data: FashionMnist): Promise<number> {
  const images = imageBatch(data, data.count);
  let correct = 0;
  for (let start = 0; start < data.count; start += 250) {
    const n = Math.min(250, data.count - start);
    const x = new ort.Tensor('float32', images.subarray(start * 784, (start + n) * 784), [n, ...SAMPLE]);
    const out = (await session.run({ input: x })).logits.data as Float32Array;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (out[i * 10 + c] > out[i * 10 + best]) best = c;
      if (best === data.labels[start + i]) correct++;
    }
  }
  return correct / data.count;
}

interface Row {
  model: string;
  variant: string;
  params: number;
  /** Multiply-accumulates per image, from the compression report. */
  macs: number;
  onnxBytes: number;
  accuracyLowrank: number;
  accuracyOrt: number;
  /** Median ms per batch. */
  msOrt: number;
  msLowrank: number;
}

async function measure(
  engine: Engine,
  name: string,
  variant: string,
  macs: number,
  model: nn.Module,
  test: FashionMnist,
  x: Float32Array,
): Promise<Row> {
  model.eval();
  const bytes = await exportOnnx(model, { inputShape: SAMPLE });
  const session = await ortSession(bytes);
  const feeds = { input: new ort.Tensor('float32', x, [batchSize, ...SAMPLE]) };
  const msOrt = await time(() => session.run(feeds));
  const input = engine.keep(engine.fromData(x, [batchSize, ...SAMPLE]));
  const msLowrank = await time(() =>
    engine.noGrad(() => {
      const classes = engine.tidy(() => argmax(model.call(input), 1));
      classes.dataSync();
      classes.dispose();
    }),
  );
  input.dispose();
  const row: Row = {
    model: name,
    variant,
    params: model.numParameters(),
    macs,
    onnxBytes: bytes.length,
    accuracyLowrank: testAccuracy(engine, model, test),
    accuracyOrt: await ortAccuracy(session, test),
    msOrt,
    msLowrank,
  };
  await session.release();
  return row;
}

const test = await loadFashionMnist({ split: 'test' });
const train = await loadFashionMnist({ split: 'train' });
const x = imageBatch(test, batchSize);
const rows: Row[] = [];
for (const name of MODELS) {
  const file = await readFile(new URL(`../../../shared/models/fmnist-${name}.onnx`, import.meta.url));
  const engineFor = () => createEngine({ seed: 0 }).use(tucker2()).use(svd()).use(sigma()).use(rankBudget());
  const modelRows: Row[] = [];
  let denseMacs = 0;
  for (const ratio of ratios) {
    const engine = engineFor();
    const model = importOnnx(engine, file);
    const { report } = await compress(engine, model, {
      decomposition: { conv: 'tucker2', linear: 'svd' },
      norm: 'sigma',
      ranks: { selector: 'rank-budget', budget: { kind: 'ratio', value: ratio, scope: 'model' } },
      calibration: tensorBatches(engine, train, { batchSize: 250, count: 500 }),
      seed: 0,
    });
    denseMacs = report.total.model.before.flops;
    modelRows.push(await measure(engine, name, `${ratio}x`, report.total.model.after.flops, model, test, x));
    model.dispose();
  }
  const engine = engineFor();
  const model = importOnnx(engine, file);
  modelRows.unshift(await measure(engine, name, 'dense', denseMacs, model, test, x));
  model.dispose();
  for (const row of modelRows) {
    console.log(
      `${name} ${row.variant}: ${row.params} params, ${row.macs} MACs, ORT ${row.msOrt.toFixed(2)} ms, lowrank ${row.msLowrank.toFixed(2)} ms per ${batchSize} images`,
    );
  }
  rows.push(...modelRows);
}

const dense = (model: string) => rows.find((r) => r.model === model && r.variant === 'dense')!;
const table = rows.map((r) => ({
  model: r.model,
  variant: r.variant,
  params: r.params,
  MACs: r.macs,
  'ONNX KiB': (r.onnxBytes / 1024).toFixed(0),
  'acc lowrank %': (100 * r.accuracyLowrank).toFixed(1),
  'acc ORT %': (100 * r.accuracyOrt).toFixed(1),
  'ORT ms': r.msOrt.toFixed(2),
  'lowrank ms': r.msLowrank.toFixed(2),
  'ORT speed-up vs dense': (dense(r.model).msOrt / r.msOrt).toFixed(2),
  'lowrank / ORT time': (r.msLowrank / r.msOrt).toFixed(2),
}));
console.table(table);

const out = new URL('../results/onnx.json', import.meta.url);
await writeFile(
  out,
  `${JSON.stringify(
    {
      benchmark: 'onnx',
      description:
        'reference ONNX models imported, compressed (Tucker2 convs, SVD linears, Sigma norm from 500 training images, rank-budget whole-model params ratio, no fine-tuning), exported, and timed in onnxruntime (one thread) and on the lowrank CPU backend on the same batch; accuracy on the bundled 1,000 test images',
      peer: `onnxruntime-node ${ort.env.versions.common}`,
      batchSize,
      runs,
      rows: rows.map((r) => ({
        ...r,
        macsReduction: dense(r.model).macs / r.macs,
        ortSpeedupVsDense: dense(r.model).msOrt / r.msOrt,
        lowrankOverOrt: r.msLowrank / r.msOrt,
      })),
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${out.pathname}`);
