/**
 * The Sigma norm at equal compression (issue #5): does minimising the layers' output error
 * `‖(W - What) L‖` (Sigma variants) keep more accuracy than minimising the weight error
 * `‖W - What‖` (Frobenius), and more so as compression grows? The reference LeNet-5 and
 * ResNet-8 on Fashion-MNIST, no fine-tuning.
 *
 *   pnpm --filter @lowrank/benchmarks bench:sigma [--models lenet5,resnet8]
 *
 * (`--models` runs some of the models and replaces only their entries in results/sigma.json.)
 *
 * - Compressed: every conv except the first (and LeNet-5's fc1, fc2 as Tucker2 linears; the
 *   classifier stays dense).
 * - Sigma: the uncentred input moment `E[x_p x_p^T]` of each compressed layer, on 1,000
 *   Fashion-MNIST training images through the dense model (core `calibrate` with
 *   `@lowrank/norm-sigma`'s collector), `L` its jittered Cholesky factor.
 * - Ranks: `@lowrank/rank-budget` at a params ratio over the compressed layers (dense params
 *   / factorized params) of 1.5x .. 6x (ResNet-8: 2x and 4x, to keep the run short); the
 *   same ranks for both norms at each point.
 * - Variants: Tucker2 (HOOI) vs Tucker2-ALS-Sigma; CP-ALS vs CP-ALS-Sigma when
 *   `@lowrank/cp` declares the whitened metric; and, to separate the mean of the inputs
 *   from their spread, Tucker2-ALS-Sigma on the centred covariance with the mean error
 *   `(W - What) mu` folded into the bias (`tucker2-sigma-centred`; a conv without bias gets
 *   one, O params), and (LeNet-5) plain Tucker2 with the same bias fold (`tucker2-biasfold`).
 * - Per point: ranks, params ratio, test accuracy per variant (LeNet-5: the full 10,000-image
 *   test set when the Debian copy is installed, else the bundled 1,000 with a warning;
 *   ResNet-8: its first 2,000 images, for time), and the
 *   layers' mean relative Sigma error `‖ΔW L‖/‖W L‖` (uncentred `L`), mean relative output
 *   error (the same, except `‖ΔW L_c‖/‖W L‖` for the bias-folded variant, whose output
 *   error that is), mean relative Frobenius error, and the relative RMS difference of the
 *   model's logits from the dense model's on the test set (where the layer errors end up).
 *
 * Prints a table and writes results/sigma.json.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  argmax,
  batches,
  type CalibrationBatch,
  calibrate,
  createEngine,
  type DecompositionPlugin,
  denseCost,
  type Engine,
  equal,
  type LayerInfo,
  layerInfo,
  linalg,
  type Metric,
  nn,
  sum,
  type Tensor,
} from '@lowrank/core';
import { loadWeightsFile } from '@lowrank/core/node';
import { cp } from '@lowrank/cp';
import { FASHION_MNIST_NORMALIZATION, type FashionMnist, loadFashionMnist } from '@lowrank/fashion-mnist';
import { LeNet5, ResNet8 } from '@lowrank/models';
import { SigmaStatistics, sigma } from '@lowrank/norm-sigma';
import { rankBudget } from '@lowrank/rank-budget';
import { tucker2 } from '@lowrank/tucker2';

const MODELS = new URL('../../../shared/models/', import.meta.url);
const RESULTS = new URL('../results/', import.meta.url);
const CALIBRATION_IMAGES = 1000;
const BATCH = 250;
const SAMPLE_SHAPE = [1, 28, 28];
/** ALS sweeps and tolerance of every decomposition: converged to ~1e-4 without dominating the run time. */
const ITERATIONS = 30;
const TOLERANCE = 1e-5;

interface ModelSpec {
  key: string;
  name: string;
  /** Params ratios over the compressed layers. */
  targets: number[];
  /**
   * Test images evaluated (the first this many of the test set). ResNet-8 evaluates 2,000:
   * one pass over all 10,000 costs about a CPU-minute here, too much for a dozen passes.
   */
  testImages: number;
  /** Also run `tucker2-biasfold` (a diagnostic: the bias fold without the Sigma norm). */
  biasFoldAlone: boolean;
  file: string;
  build: (engine: Engine) => nn.Module;
  /** The layers compressed. */
  compress: (name: string, module: nn.Module) => boolean;
}

const MODEL_SPECS: ModelSpec[] = [
  {
    key: 'lenet5',
    name: 'LeNet-5',
    targets: [1.5, 2, 3, 4, 6],
    testImages: 10_000,
    biasFoldAlone: true,
    file: 'fmnist-lenet5.safetensors',
    build: (engine) => new LeNet5(engine),
    compress: (name) => ['conv2', 'fc1', 'fc2'].includes(name),
  },
  {
    key: 'resnet8',
    name: 'ResNet-8',
    targets: [2, 4],
    testImages: 2000,
    biasFoldAlone: false,
    file: 'fmnist-resnet8.safetensors',
    build: (engine) => new ResNet8(engine),
    compress: (name, m) => m instanceof nn.Conv2d && name !== 'stem.0',
  },
];

interface Layer {
  info: LayerInfo;
  module: nn.Conv2d | nn.Linear;
  parent: nn.Module;
  childName: string;
  /** `W_mat`, `O x P`, float64. */
  w: linalg.Matrix;
  /** Uncentred Sigma's factor, as a metric and as a matrix. */
  metric: Metric;
  l: linalg.Matrix;
  /** The centred covariance's factor and the mean patch. */
  centred: Metric;
  lCentred: linalg.Matrix;
  mean: Float64Array;
  relativeJitter: number;
}

interface Variant {
  name: string;
  decomposition: DecompositionPlugin;
  norm: 'frobenius' | 'sigma' | 'sigma-centred';
  /** Fold the mean output error `(W - What) mu` into the bias. */
  biasFold?: boolean;
}

interface VariantResult {
  variant: string;
  accuracy: number;
  /** `‖logits - dense logits‖ / ‖dense logits‖` over the test set. */
  logitError: number;
  meanSigmaError: number;
  meanOutputError: number;
  meanFrobeniusError: number;
  decomposeSeconds: number;
}

interface Point {
  target: number;
  family: 'tucker2' | 'cp';
  ranks: Record<string, number[] | 'dense'>;
  params: { dense: number; factorized: number };
  ratio: number;
  results: VariantResult[];
}

async function loadSplit(split: 'train' | 'test'): Promise<{ data: FashionMnist; source: string }> {
  try {
    return { data: await loadFashionMnist({ source: 'full', split }), source: 'full' };
  } catch (e) {
    console.warn(
      `WARNING: the full Fashion-MNIST ${split} split is not installed (${(e as Error).message.split('\n')[0]}); using the bundled subset`,
    );
    return { data: await loadFashionMnist({ source: 'bundled', split }), source: 'bundled' };
  }
}

/** Top-1 accuracy in eval mode without gradients, and all the logits. */
function evaluate(
  engine: Engine,
  model: nn.Module,
  data: FashionMnist,
): { accuracy: number; logits: Float32Array } {
  model.eval();
  let correct = 0;
  const logits = new Float32Array(data.count * 10);
  for (const b of batches({
    ...data,
    sampleShape: SAMPLE_SHAPE,
    batchSize: BATCH,
    normalize: FASHION_MNIST_NORMALIZATION,
  })) {
    const [out, hits] = engine.noGrad(() =>
      engine.tidy(() => {
        const y = model.call(engine.fromData(b.x, b.xShape));
        return [y, sum(equal(argmax(y, 1), engine.fromData(b.y, [b.size])))];
      }),
    );
    logits.set(out.dataSync(), b.indices[0] * 10);
    correct += hits.itemSync();
    out.dispose();
    hits.dispose();
  }
  return { accuracy: correct / data.count, logits };
}

/** `‖a - b‖ / ‖b‖`. */
function relativeDifference(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d / n);
}

/** Input [H, W] of every Conv2d, recorded by forward hooks on one image. */
function inputSizes(engine: Engine, model: nn.Module): Map<string, [number, number]> {
  const sizes = new Map<string, [number, number]>();
  const removers = model
    .namedModules()
    .filter(([, m]) => m instanceof nn.Conv2d)
    .map(([name, m]) =>
      m.addForwardHook((_, inputs) => {
        sizes.set(name, [inputs[0].shape[2], inputs[0].shape[3]]);
      }),
    );
  engine.noGrad(() => engine.tidy(() => model.call(engine.zeros([1, ...SAMPLE_SHAPE]))));
  for (const remove of removers) remove();
  return sizes;
}

/** Calibration batches as tensors, each freed once the next is asked for. */
function* calibrationBatches(engine: Engine, data: FashionMnist): Generator<CalibrationBatch> {
  for (const b of batches({
    ...data,
    count: CALIBRATION_IMAGES,
    sampleShape: SAMPLE_SHAPE,
    batchSize: BATCH,
    normalize: FASHION_MNIST_NORMALIZATION,
  })) {
    const inputs = engine.fromData(b.x, b.xShape);
    try {
      yield { inputs };
    } finally {
      inputs.dispose();
    }
  }
}

/** `‖A B‖_F`. */
const productNorm = (a: linalg.Matrix, b: linalg.Matrix) => linalg.norm(linalg.matmul(a, b));

async function compressedLayers(
  engine: Engine,
  model: nn.Module,
  spec: ModelSpec,
  train: FashionMnist,
): Promise<Layer[]> {
  const sizes = inputSizes(engine, model);
  const picked = model
    .namedModules()
    .filter(([name, m]) => (m instanceof nn.Conv2d || m instanceof nn.Linear) && spec.compress(name, m))
    .map(([name, m]) => {
      const module = m as nn.Conv2d | nn.Linear;
      const dot = name.lastIndexOf('.');
      return {
        name,
        module,
        info: layerInfo(name, module, module instanceof nn.Conv2d ? sizes.get(name) : undefined),
        parent: dot < 0 ? model : model.getModule(name.slice(0, dot)),
        childName: name.slice(dot + 1),
      };
    });
  const norm = sigma();
  engine.use(norm);
  const collector = norm.collector(picked.map(({ info, module }) => ({ info, module })));
  await calibrate(model, [collector], calibrationBatches(engine, train));
  const statistics = collector.statistics();
  const layers: Layer[] = [];
  for (const { info, module, parent, childName } of picked) {
    const stats = statistics.get(info.name);
    if (!(stats instanceof SigmaStatistics)) throw new Error(`no Sigma statistics for ${info.name}`);
    const uncentred = linalg.cholesky(stats.sigma(), { jitter: true });
    const centred = linalg.cholesky(stats.covariance(), { jitter: true });
    const w = await linalg.toNdArray(module.weight);
    layers.push({
      info,
      module,
      parent,
      childName,
      w: linalg.matrix(info.outChannels, w.data.length / info.outChannels, w.data),
      metric: norm.metric(info, stats),
      l: uncentred.L,
      centred: { kind: 'whitened', factor: linalg.fromMatrix(engine, centred.L, 'float64') },
      lCentred: centred.L,
      mean: stats.mean(),
      relativeJitter: uncentred.relativeJitter,
    });
  }
  return layers;
}

/** Decomposes every layer with the variant, swaps the factorized layers in, evaluates, restores the dense ones. */
async function runVariant(
  engine: Engine,
  model: nn.Module,
  layers: Layer[],
  ranks: (readonly number[] | null)[],
  variant: Variant,
  test: FashionMnist,
  denseLogits: Float32Array,
): Promise<VariantResult> {
  const started = performance.now();
  const sigmaErrors: number[] = [];
  const outputErrors: number[] = [];
  const frobeniusErrors: number[] = [];
  const replacements: nn.Module[] = [];
  for (const [j, layer] of layers.entries()) {
    const r = ranks[j];
    if (!r) {
      replacements.push(layer.module);
      continue;
    }
    const metric =
      variant.norm === 'frobenius' ? undefined : variant.norm === 'sigma' ? layer.metric : layer.centred;
    const factors = await variant.decomposition.decompose(layer.module.weight, layer.info, r, {
      metric,
      maxIterations: ITERATIONS,
      tolerance: TOLERANCE,
    });
    const approx = variant.decomposition.reconstruct(factors);
    const a = await linalg.toNdArray(approx);
    approx.dispose();
    const delta = linalg.sub(layer.w, linalg.matrix(layer.w.rows, layer.w.cols, a.data));
    const reference = productNorm(layer.w, layer.l);
    sigmaErrors.push(productNorm(delta, layer.l) / reference);
    frobeniusErrors.push(linalg.norm(delta) / linalg.norm(layer.w));
    let bias: Tensor | null = layer.module.bias;
    if (variant.biasFold) {
      // E[(W - What) x] = (W - What) mu goes into the bias; what remains is ‖ΔW L_c‖.
      outputErrors.push(productNorm(delta, layer.lCentred) / reference);
      const shift = linalg.matvec(delta, layer.mean);
      const old = bias ? bias.dataSync() : new Float32Array(shift.length);
      bias = engine.fromData(
        Float32Array.from(shift, (s, o) => s + old[o]),
        [shift.length],
      );
    } else outputErrors.push(sigmaErrors[sigmaErrors.length - 1]);
    replacements.push(variant.decomposition.layer(factors, layer.info, bias));
  }
  const decomposeSeconds = (performance.now() - started) / 1000;
  for (const [j, layer] of layers.entries()) layer.parent.replaceModule(layer.childName, replacements[j]);
  const { accuracy, logits } = evaluate(engine, model, test);
  for (const layer of layers) layer.parent.replaceModule(layer.childName, layer.module);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(xs.length, 1);
  return {
    variant: variant.name,
    accuracy,
    logitError: relativeDifference(logits, denseLogits),
    meanSigmaError: mean(sigmaErrors),
    meanOutputError: mean(outputErrors),
    meanFrobeniusError: mean(frobeniusErrors),
    decomposeSeconds,
  };
}

async function benchmarkModel(spec: ModelSpec, train: FashionMnist, fullTest: FashionMnist) {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const test = { ...fullTest, count: Math.min(fullTest.count, spec.testImages) };
  if (test.count < fullTest.count) {
    console.warn(
      `WARNING: ${spec.name} is evaluated on the first ${test.count} of the ${fullTest.count} test images`,
    );
  }
  const engine = createEngine();
  const model = spec.build(engine);
  await loadWeightsFile(model, fileURLToPath(new URL(spec.file, MODELS)));
  model.eval();
  const { accuracy: denseAccuracy, logits: denseLogits } = evaluate(engine, model, test);
  const layers = await compressedLayers(engine, model, spec, train);
  console.log(`\n${spec.name}: dense accuracy ${denseAccuracy.toFixed(4)}; compressed layers:`);
  for (const l of layers) {
    console.log(
      `  ${l.info.name.padEnd(14)} ${l.info.weightShape.join('x')} P = ${l.l.rows}, Sigma jitter ${l.relativeJitter}`,
    );
  }
  const families: { family: Point['family']; variants: Variant[] }[] = [];
  const t2 = tucker2();
  families.push({
    family: 'tucker2',
    variants: [
      { name: 'tucker2', decomposition: t2, norm: 'frobenius' },
      { name: 'tucker2-sigma', decomposition: t2, norm: 'sigma' },
      ...(spec.biasFoldAlone
        ? [{ name: 'tucker2-biasfold', decomposition: t2, norm: 'frobenius', biasFold: true } as const]
        : []),
      { name: 'tucker2-sigma-centred', decomposition: t2, norm: 'sigma-centred', biasFold: true },
    ],
  });
  const cpPlugin = cp();
  const cpSigma = cpPlugin.metrics?.includes('whitened') ?? false;
  if (cpSigma) {
    families.push({
      family: 'cp',
      variants: [
        { name: 'cp', decomposition: cpPlugin, norm: 'frobenius' },
        { name: 'cp-sigma', decomposition: cpPlugin, norm: 'sigma' },
      ],
    });
  } else console.log('  @lowrank/cp has no whitened metric yet: CP rows left out');

  const points: Point[] = [];
  for (const { family, variants } of families) {
    const decomposition = variants[0].decomposition;
    const context = {
      engine,
      decomposition,
      layers: layers.map(({ info, module }) => ({ info, weight: module.weight })),
    };
    for (const target of spec.targets) {
      const selection = await rankBudget().select(context, { kind: 'ratio', value: target });
      const ranks = selection.layers.map((e, j) => {
        if (e.name !== layers[j].info.name)
          throw new Error(`selection order: ${e.name} != ${layers[j].info.name}`);
        return e.keptDense ? null : e.ranks;
      });
      const point: Point = {
        target,
        family,
        ranks: Object.fromEntries(
          layers.map((l, j) => [l.info.name, ranks[j] ? [...(ranks[j] ?? [])] : 'dense']),
        ),
        params: { dense: selection.total.before.params, factorized: selection.total.after.params },
        ratio: selection.total.before.params / selection.total.after.params,
        results: [],
      };
      for (const variant of variants) {
        const result = await runVariant(engine, model, layers, ranks, variant, test, denseLogits);
        point.results.push(result);
        console.log(
          `  ${target}x (ratio ${point.ratio.toFixed(2)}) ${variant.name.padEnd(22)} accuracy ${result.accuracy.toFixed(4)}, logit error ${result.logitError.toFixed(4)}, Sigma error ${result.meanSigmaError.toFixed(4)}, output error ${result.meanOutputError.toFixed(4)}, Frobenius error ${result.meanFrobeniusError.toFixed(4)} (${result.decomposeSeconds.toFixed(1)} s)`,
        );
      }
      points.push(point);
    }
  }
  if (layers.some((l) => l.parent.getModule(l.childName) !== l.module)) {
    throw new Error(`${spec.name}: dense layers not restored`);
  }
  const cpu = process.cpuUsage(cpuStarted);
  return {
    key: spec.key,
    model: spec.name,
    weights: `shared/models/${spec.file}`,
    denseAccuracy,
    testImages: test.count,
    cpSigma,
    layers: layers.map((l) => ({
      name: l.info.name,
      weightShape: l.info.weightShape,
      inputSize: l.info.inputSize,
      dense: denseCost(l.info),
      sigmaRelativeJitter: l.relativeJitter,
    })),
    points,
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

function printTable(runs: ModelRun[]): void {
  console.log();
  console.log(
    '| model | target | ratio | variant | accuracy | dense | logit err | Sigma err | output err | Frob err | ranks |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const run of runs) {
    for (const p of run.points) {
      const ranks = Object.entries(p.ranks)
        .map(([n, r]) => `${n}:${r === 'dense' ? 'dense' : r.join(',')}`)
        .join(' ');
      for (const r of p.results) {
        console.log(
          `| ${run.model} | ${p.target}x | ${p.ratio.toFixed(2)} | ${r.variant} | ${r.accuracy.toFixed(4)} | ${run.denseAccuracy.toFixed(4)} | ${r.logitError.toFixed(4)} | ${r.meanSigmaError.toFixed(4)} | ${r.meanOutputError.toFixed(4)} | ${r.meanFrobeniusError.toFixed(4)} | ${ranks} |`,
        );
      }
    }
  }
}

type ModelRun = Awaited<ReturnType<typeof benchmarkModel>>;

async function main(): Promise<void> {
  const started = performance.now();
  const flag = process.argv.indexOf('--models');
  const keys = flag >= 0 ? (process.argv[flag + 1] ?? '').split(',') : MODEL_SPECS.map((m) => m.key);
  const specs = MODEL_SPECS.filter((m) => keys.includes(m.key));
  if (specs.length !== keys.length) {
    throw new Error(
      `--models: a comma-separated list of ${MODEL_SPECS.map((m) => m.key).join(', ')}; got '${keys.join(',')}'`,
    );
  }
  const train = await loadSplit('train');
  const test = await loadSplit('test');
  console.log(
    `calibration: ${CALIBRATION_IMAGES} training images (${train.source}); test: ${test.data.count} images (${test.source})`,
  );
  const runs: ModelRun[] = [];
  for (const spec of specs) runs.push(await benchmarkModel(spec, train.data, test.data));
  printTable(runs);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `\ntotal ${seconds.toFixed(0)} s wall, ${runs.reduce((t, r) => t + r.cpuSeconds, 0).toFixed(0)} s CPU`,
  );
  const out = fileURLToPath(new URL('sigma.json', RESULTS));
  // Entries of models not run this time are kept from the previous results.
  const previous: ModelRun[] = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')).runs ?? []) : [];
  const merged = MODEL_SPECS.map(
    (m) => runs.find((r) => r.key === m.key) ?? previous.find((r) => r.key === m.key),
  ).filter((r) => r !== undefined);
  const body = {
    description:
      'Sigma (output-error) vs Frobenius decompositions at equal compression, no fine-tuning; ranks by rank-budget at a params ratio over the compressed layers',
    calibration: {
      images: CALIBRATION_IMAGES,
      split: 'train',
      source: train.source,
      moment: 'uncentred E[x x^T] (tucker2-sigma-centred: the centred covariance)',
    },
    test: { images: test.data.count, source: test.source },
    settings: { maxIterations: ITERATIONS, tolerance: TOLERANCE },
    runs: merged,
  };
  writeFileSync(`${out}.tmp`, `${JSON.stringify(body, null, 2)}\n`);
  renameSync(`${out}.tmp`, out);
  console.log(`wrote ${out}`);
}

await main();
