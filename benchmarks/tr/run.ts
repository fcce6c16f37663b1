/**
 * Tensor-ring compression of the reference LeNet-5 (Fashion-MNIST), the case of issue "TR
 * takes 84 s and gives 7x more MACs": `compress` with the `tr` decomposition for conv2, fc1
 * and fc2, the Sigma norm from 1,000 bundled training images and rank-budget at a whole-model
 * params ratio of 2 (what `lowrank compress --decomposition tr` runs). Reports per layer the
 * seconds to decompose, the ranks, params and MACs (dense, the TR layer's contraction order,
 * and the old fixed order for comparison) and the relative errors; then TR-ALS alone (seconds
 * per sweep at ranks where it iterates) and the ONNX check: the compressed model exported and
 * run in onnxruntime against a dense LeNet-5 holding the reconstructed weights.
 * Prints tables and writes results/tr.json.
 *
 *   pnpm --filter @lowrank/benchmarks bench:tr
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compress } from '@lowrank/compress';
import {
  createEngine,
  type Engine,
  type LayerInfo,
  layerInfo,
  linalg,
  type nn,
  type Tensor,
} from '@lowrank/core';
import { loadWeightsFile } from '@lowrank/core/node';
import { FASHION_MNIST_NORMALIZATION, loadFashionMnist, tensorBatches } from '@lowrank/fashion-mnist';
import { LeNet5 } from '@lowrank/models';
import { sigma } from '@lowrank/norm-sigma';
import { exportOnnx, importOnnx } from '@lowrank/onnx';
import { rankBudget } from '@lowrank/rank-budget';
import {
  legacyOrder,
  reconstructTr,
  TrConv2d,
  TrLinear,
  tr,
  trAls,
  trConvMacs,
  trLinearPlan,
  trRanks,
  trSvd,
} from '@lowrank/tr';
import { convToOKI, tensorizeMatrix } from '@lowrank/tt';
import * as ort from 'onnxruntime-node';
import { testAccuracy } from '../common/accuracy.js';

const MODEL = fileURLToPath(new URL('../../../shared/models/fmnist-lenet5.safetensors', import.meta.url));
const RESULTS = new URL('../results/', import.meta.url);
const LAYERS = ['conv2', 'fc1', 'fc2'];
/** conv2's input is 14 x 14 (after conv1 and a 2x2 pool). */
const INPUT_SIZES: Record<string, [number, number] | undefined> = { conv2: [14, 14] };

async function lenet5(engine: Engine): Promise<LeNet5> {
  const model = new LeNet5(engine);
  await loadWeightsFile(model, MODEL);
  return model;
}

const infoOf = (model: nn.Module, name: string): LayerInfo =>
  layerInfo(name, model.getModule(name) as nn.Conv2d | nn.Linear, INPUT_SIZES[name]);

/** MACs of the TR layer in the order it was built with, and in the old fixed order (TR-FC d-1..0, TR-conv input-first). */
function trMacs(module: nn.Module, info: LayerInfo): { ranks: number[]; macs: number; oldOrderMacs: number } {
  if (module instanceof TrLinear) {
    const { outModes: m, inModes: n, ranks } = module.settings;
    return {
      ranks,
      macs: module.plan.macs,
      oldOrderMacs: trLinearPlan(m, n, ranks, legacyOrder(m.length)).macs,
    };
  }
  if (module instanceof TrConv2d) {
    const { ranks, order } = module.settings;
    return {
      ranks,
      macs: trConvMacs(info, ranks, order ?? 'input-first'),
      oldOrderMacs: trConvMacs(info, ranks, 'input-first'),
    };
  }
  throw new Error(`${info.name} is a ${module.typeName}, not a TR layer`);
}

// 1. The whole compression, as the command line runs it.
const engine = createEngine({ backend: 'cpu', seed: 0 });
engine.use(tr());
engine.use(sigma());
engine.use(rankBudget());
const train = await loadFashionMnist({ split: 'train' });
const test = await loadFashionMnist({ split: 'test' });
const model = await lenet5(engine);
const infos = new Map(LAYERS.map((name) => [name, infoOf(model, name)]));
const accuracyBefore = testAccuracy(engine, model, test);
const started = performance.now();
const { report } = await compress(engine, model, {
  decomposition: 'tr',
  include: LAYERS,
  norm: 'sigma',
  ranks: { selector: 'rank-budget', budget: { kind: 'ratio', value: 2, scope: 'model' } },
  calibration: tensorBatches(engine, train, { batchSize: 250, count: 1000 }),
  seed: 0,
});
const compressSeconds = (performance.now() - started) / 1000;
const accuracyAfter = testAccuracy(engine, model, test);
const layers = report.layers.map((l) => {
  const info = infos.get(l.name) as LayerInfo;
  const { ranks, macs, oldOrderMacs } = trMacs(model.getModule(l.name), info);
  return {
    layer: l.name,
    requestedRanks: l.ranks,
    ranks,
    params: { dense: l.before.params, tr: l.after.params },
    macs: { dense: l.before.flops, tr: macs, oldOrder: oldOrderMacs },
    error: l.error,
    seconds: l.seconds,
  };
});
console.log(`compress (tr, Sigma, rank-budget ratio 2): ${compressSeconds.toFixed(1)} s in all`);
console.table(
  layers.map((l) => ({
    layer: l.layer,
    ranks: `[${l.ranks.join(', ')}]`,
    params: `${l.params.dense} -> ${l.params.tr}`,
    'MACs dense': l.macs.dense,
    'MACs TR': l.macs.tr,
    'MACs TR old order': l.macs.oldOrder,
    'err F': Number(l.error.frobenius.toFixed(4)),
    'err Sigma': Number((l.error.sigma ?? Number.NaN).toFixed(4)),
    seconds: Number(l.seconds.toFixed(2)),
  })),
);
console.log(`accuracy on ${test.count} test images: ${accuracyBefore} -> ${accuracyAfter}`);

// 2. TR-ALS alone, from TR-SVD, at ranks where it iterates (the budget's ranks converge in one sweep).
const plugin = tr();
const dense = await lenet5(engine);
const alsCases: [string, number[]][] = [
  ['conv2', [6, 2, 2]],
  ['fc1', [3, 20, 3]],
  ['fc1', [6, 40, 6]],
  ['fc2', [2, 10, 2]],
];
const als = [];
for (const [name, ranks] of alsCases) {
  const info = infos.get(name) as LayerInfo;
  const layout = plugin.layout(info);
  const w = await linalg.toNdArray((dense.getModule(name) as nn.Conv2d | nn.Linear).weight);
  const x = linalg.ndarray(
    layout.modes,
    (layout.kind === 'matrix' ? tensorizeMatrix(w, layout.outModes, layout.inModes) : convToOKI(w)).data,
  );
  const init = trSvd(x, ranks, { start: layout.start });
  const trace: number[] = [];
  const t0 = performance.now();
  // The plugin's defaults: at most 50 sweeps, stop when the error changes by less than 1e-6.
  trAls(x, trRanks(init), { init, maxIterations: 50, tol: 1e-6, onIteration: (_, e) => trace.push(e) });
  const seconds = (performance.now() - t0) / 1000;
  als.push({
    layer: name,
    ranks: trRanks(init),
    sweeps: trace.length - 1,
    secondsPerSweep: seconds / (trace.length - 1),
    errorSvd: trace[0],
    errorAls: trace[trace.length - 1],
  });
}
console.log('TR-ALS from TR-SVD (at most 50 sweeps, tol 1e-6):');
console.table(
  als.map((a) => ({
    layer: a.layer,
    ranks: `[${a.ranks.join(', ')}]`,
    sweeps: a.sweeps,
    'ms per sweep': Number((1000 * a.secondsPerSweep).toFixed(1)),
    'err TR-SVD': Number(a.errorSvd.toFixed(5)),
    'err TR-ALS': Number(a.errorAls.toFixed(5)),
  })),
);

// 3. ONNX: the compressed model in onnxruntime against a dense LeNet-5 holding the reconstructed weights.
const reference = await lenet5(engine);
for (const name of LAYERS) {
  const info = infos.get(name) as LayerInfo;
  const weight = (dense.getModule(name) as nn.Conv2d | nn.Linear).weight;
  const ranks = layers.find((l) => l.layer === name)?.ranks as number[];
  const factors = await plugin.decompose(weight, info, ranks);
  const approx = reconstructTr(factors);
  (reference.getModule(name) as nn.Conv2d | nn.Linear).weight.copyFrom(approx);
  const original = dense.getModule(name) as nn.Conv2d | nn.Linear;
  dense.replaceModule(name, plugin.layer(factors, info, original.bias));
  approx.dispose();
  for (const c of factors.cores) c.dispose();
}
dense.eval();
reference.eval();
const batch = 64;
const pixels = Float32Array.from(
  test.images.subarray(0, batch * 784),
  (p) => (p / 255 - FASHION_MNIST_NORMALIZATION.mean) / FASHION_MNIST_NORMALIZATION.std,
);
const input: Tensor = engine.tensor(pixels, [batch, 1, 28, 28]);
const expected = (await engine.noGrad(() => reference.call(input)).data()) as Float32Array;
const bytes = await exportOnnx(dense, { inputShape: [1, 28, 28] });
const session = await ort.InferenceSession.create(bytes);
const run = await session.run({
  [session.inputNames[0]]: new ort.Tensor('float32', pixels, [batch, 1, 28, 28]),
});
const actual = run[session.outputNames[0]].data as Float32Array;
await session.release();
// The file read back by importOnnx, run on lowrank's CPU backend.
const imported = importOnnx(engine, bytes).eval();
const readBack = (await engine.noGrad(() => imported.call(input)).data()) as Float32Array;
const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const worstOf = (values: Float32Array) =>
  expected.reduce((m, v, i) => Math.max(m, Math.abs(v - values[i])), 0);
const onnx = {
  batch,
  onnxruntime: { maxAbsDifference: worstOf(actual), relativeToLargestLogit: worstOf(actual) / scale },
  importOnnx: { maxAbsDifference: worstOf(readBack), relativeToLargestLogit: worstOf(readBack) / scale },
};
console.log(
  `ONNX (TrConv2d ${(dense.getModule('conv2') as TrConv2d).settings.order}, TrLinear orders ${LAYERS.slice(1)
    .map((n) => `[${(dense.getModule(n) as TrLinear).plan.order}]`)
    .join(
      ', ',
    )}) against the dense reference on ${batch} images: onnxruntime max |diff| ${onnx.onnxruntime.maxAbsDifference.toExponential(2)}, importOnnx ${onnx.importOnnx.maxAbsDifference.toExponential(2)} (largest logit ${scale.toFixed(2)})`,
);
if (!(onnx.onnxruntime.relativeToLargestLogit < 1e-4 && onnx.importOnnx.relativeToLargestLogit < 1e-4))
  throw new Error('the exported TR model differs from the dense reference beyond float32 tolerance');

mkdirSync(RESULTS, { recursive: true });
const target = new URL('tr.json', RESULTS);
const temp = new URL('tr.json.tmp', RESULTS);
writeFileSync(
  temp,
  `${JSON.stringify(
    {
      model: 'LeNet-5, shared/models/fmnist-lenet5.safetensors',
      recipe:
        'tr for conv2, fc1, fc2; Sigma norm from 1000 bundled training images; rank-budget, model params ratio 2',
      compressSeconds,
      accuracy: { before: accuracyBefore, after: accuracyAfter, images: test.count },
      layers,
      als,
      onnx,
    },
    null,
    2,
  )}\n`,
);
renameSync(temp, target);
console.log(`wrote ${fileURLToPath(target)}`);
