/**
 * Norms compared (issue #5): the reference LeNet-5 on Fashion-MNIST, fc1 by SVD and conv2
 * by Tucker2, each decomposed alone (the rest dense, no fine-tuning) at two ranks under
 * the Frobenius, Fisher (FW-LRA), activation-guided (AG-LRA) and Sigma norms, plus the
 * row-wise Fisher closed form (FWSVD) for fc1. Statistics come from the first 1,000 bundled
 * training images; accuracy is on the 1,000 bundled test images. Every decomposition runs
 * through core's `decomposeWithMetric`: the plugin's own algorithm where it has one for the
 * metric (SVD: Frobenius and Sigma), otherwise EM imputation and/or Adam refinement.
 * Prints a table and writes results/norms.json.
 *
 *   pnpm --filter @lowrank/benchmarks bench:norms
 *
 * Errors are relative, each in its own metric: Frobenius `‖W - What‖/‖W‖`, Fisher
 * `sqrt(sum F d^2 / sum F W^2)`, activation likewise with the per-row weights, Sigma
 * `‖(W - What) L‖/‖W L‖`.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  batches,
  type CalibrationBatch,
  calibrate,
  createEngine,
  type DecompositionPlugin,
  decomposeWithMetric,
  type Engine,
  FROBENIUS,
  type LayerInfo,
  layerInfo,
  linalg,
  type Metric,
  nativeMetrics,
  type nn,
  relativeError,
  type Tensor,
} from '@lowrank/core';
import { loadWeightsFile } from '@lowrank/core/node';
import { FASHION_MNIST_NORMALIZATION, type FashionMnist, loadFashionMnist } from '@lowrank/fashion-mnist';
import { LeNet5 } from '@lowrank/models';
import { activation } from '@lowrank/norm-activation';
import { type FisherStatistics, fisher, rowFisher, rowWeightedSvd } from '@lowrank/norm-fisher';
import { sigma } from '@lowrank/norm-sigma';
import { svd } from '@lowrank/svd';
import { tucker2 } from '@lowrank/tucker2';
import { testAccuracy } from '../common/accuracy.js';

const MODEL = fileURLToPath(new URL('../../../shared/models/fmnist-lenet5.safetensors', import.meta.url));
const RESULTS = new URL('../results/', import.meta.url);
const SAMPLE_SHAPE = [1, 28, 28];
const CALIBRATION = 1000;
const NORMS = ['frobenius', 'fisher', 'activation', 'sigma'] as const;

interface Case {
  layer: 'fc1' | 'conv2';
  decomposition: string;
  ranks: number[];
}

const CASES: Case[] = [
  { layer: 'fc1', decomposition: 'svd', ranks: [8] },
  { layer: 'fc1', decomposition: 'svd', ranks: [16] },
  { layer: 'conv2', decomposition: 'tucker2', ranks: [8, 4] },
  { layer: 'conv2', decomposition: 'tucker2', ranks: [4, 2] },
];

interface Row {
  layer: string;
  decomposition: string;
  ranks: number[];
  norm: string;
  /** 'native' (the plugin's own algorithm), 'generic' (EM and/or refinement) or 'closed form'. */
  solver: string;
  errors: { frobenius: number; fisher: number; activation: number; sigma: number };
  accuracy: number;
  seconds: number;
}

/** Accuracy with the layer's weight replaced by `approx` (the function its factorized layer computes). */
function accuracyWith(
  engine: Engine,
  model: nn.Module,
  module: nn.Linear | nn.Conv2d,
  approx: Tensor,
  test: FashionMnist,
) {
  const original = engine.keep(module.weight.detach());
  try {
    module.weight.copyFrom(approx);
    return testAccuracy(engine, model, test);
  } finally {
    module.weight.assign(original);
    original.dispose();
  }
}

async function main(): Promise<void> {
  const fisherNorm = fisher();
  const activationNorm = activation();
  const sigmaNorm = sigma();
  const engine = createEngine().use(fisherNorm).use(activationNorm).use(sigmaNorm);
  const model = new LeNet5(engine);
  await loadWeightsFile(model, MODEL);
  model.eval();
  const train = await loadFashionMnist({ split: 'train' });
  const test = await loadFashionMnist({ split: 'test' });
  const dense = testAccuracy(engine, model, test);

  const modules = {
    fc1: model.getModule('fc1') as nn.Linear,
    conv2: model.getModule('conv2') as nn.Conv2d,
  };
  const infos: Record<string, LayerInfo> = {
    fc1: layerInfo('fc1', modules.fc1),
    conv2: layerInfo('conv2', modules.conv2, [14, 14]),
  };
  const layers = Object.entries(modules).map(([name, module]) => ({ info: infos[name], module }));
  const data: CalibrationBatch[] = [];
  for (const b of batches({
    ...train,
    count: CALIBRATION,
    sampleShape: SAMPLE_SHAPE,
    batchSize: 100,
    normalize: FASHION_MNIST_NORMALIZATION,
  })) {
    data.push({ inputs: engine.fromData(b.x, b.xShape), labels: engine.fromData(b.y, [b.size]) });
  }
  const collectors = {
    fisher: fisherNorm.collector(layers),
    activation: activationNorm.collector(layers),
    sigma: sigmaNorm.collector(layers),
  };
  let t0 = performance.now();
  await calibrate(model, [collectors.fisher], data);
  const fisherSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  await calibrate(model, [collectors.activation, collectors.sigma], data);
  const otherSeconds = (performance.now() - t0) / 1000;
  console.log(
    `LeNet-5, dense test accuracy ${(100 * dense).toFixed(1)}%; calibration on ${CALIBRATION} images: Fisher ${fisherSeconds.toFixed(1)} s (per-sample gradients), activation + Sigma ${otherSeconds.toFixed(1)} s`,
  );

  const metricsOf = (name: string): Record<(typeof NORMS)[number], Metric> => ({
    frobenius: FROBENIUS,
    fisher: fisherNorm.metric(infos[name], collectors.fisher.statistics().get(name)),
    activation: activationNorm.metric(infos[name], collectors.activation.statistics().get(name)),
    sigma: sigmaNorm.metric(infos[name], collectors.sigma.statistics().get(name)),
  });

  const rows: Row[] = [];
  const plugins: Record<string, DecompositionPlugin<unknown>> = {
    svd: svd() as DecompositionPlugin<unknown>,
    tucker2: tucker2() as DecompositionPlugin<unknown>,
  };
  for (const c of CASES) {
    const module = modules[c.layer];
    const info = infos[c.layer];
    const metrics = metricsOf(c.layer);
    const plugin = plugins[c.decomposition];
    const record = async (norm: string, solver: string, approx: Tensor, seconds: number) => {
      const errors = {
        frobenius: await relativeError(FROBENIUS, module.weight, approx, info),
        fisher: await relativeError(metrics.fisher, module.weight, approx, info),
        activation: await relativeError(metrics.activation, module.weight, approx, info),
        sigma: await relativeError(metrics.sigma, module.weight, approx, info),
      };
      const row: Row = {
        layer: c.layer,
        decomposition: c.decomposition,
        ranks: c.ranks,
        norm,
        solver,
        errors,
        accuracy: accuracyWith(engine, model, module, approx, test),
        seconds,
      };
      rows.push(row);
      printRow(row);
    };
    for (const norm of NORMS) {
      const metric = metrics[norm];
      const start = performance.now();
      const factors = await decomposeWithMetric(plugin, module.weight, info, c.ranks, { metric });
      const seconds = (performance.now() - start) / 1000;
      const approx = plugin.reconstruct(factors);
      await record(norm, nativeMetrics(plugin).includes(metric.kind) ? 'native' : 'generic', approx, seconds);
      approx.dispose();
    }
    if (c.layer === 'fc1') {
      const start = performance.now();
      const stats = collectors.fisher.statistics().get('fc1') as FisherStatistics;
      const { left, right } = rowWeightedSvd(
        await linalg.toMatrix(module.weight),
        rowFisher(stats),
        c.ranks[0],
      );
      const approx = linalg.fromMatrix(engine, linalg.matmul(left, right), 'float32');
      await record('fisher rows (FWSVD)', 'closed form', approx, (performance.now() - start) / 1000);
      approx.dispose();
    }
  }

  mkdirSync(RESULTS, { recursive: true });
  const file = fileURLToPath(new URL('norms.json', RESULTS));
  const json = {
    benchmark: 'norms',
    model: 'LeNet-5 (shared/models/fmnist-lenet5.safetensors)',
    calibration: `first ${CALIBRATION} bundled Fashion-MNIST training images, batches of 100; Fisher per-sample (empirical, cross-entropy with labels), normalised by its mean; activation = mean |layer output| per channel, normalised by its mean; Sigma = uncentred input second moment, Cholesky with escalating jitter`,
    test: '1,000 bundled Fashion-MNIST test images',
    denseAccuracy: dense,
    calibrationSeconds: { fisher: fisherSeconds, activationAndSigma: otherSeconds },
    generic:
      'decomposeWithMetric defaults: EM imputation (at most 50 iterations) for weighted metrics, then 200 Adam refinement steps (lr 1e-2 of each factor RMS)',
    rows,
  };
  writeFileSync(`${file}.tmp`, `${JSON.stringify(json, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  console.log(`wrote ${file}`);
}

let header = false;
function printRow(r: Row): void {
  if (!header) {
    console.log(
      `${'layer'.padEnd(6)} ${'decomp'.padEnd(8)} ${'ranks'.padEnd(6)} ${'norm'.padEnd(20)} ${'solver'.padEnd(12)} ${'Frob'.padStart(6)} ${'Fisher'.padStart(7)} ${'Activ'.padStart(7)} ${'Sigma'.padStart(7)} ${'acc %'.padStart(6)} ${'s'.padStart(6)}`,
    );
    header = true;
  }
  const e = r.errors;
  console.log(
    `${r.layer.padEnd(6)} ${r.decomposition.padEnd(8)} ${r.ranks.join(',').padEnd(6)} ${r.norm.padEnd(20)} ${r.solver.padEnd(12)} ${e.frobenius.toFixed(4).padStart(6)} ${e.fisher.toFixed(4).padStart(7)} ${e.activation.toFixed(4).padStart(7)} ${e.sigma.toFixed(4).padStart(7)} ${(100 * r.accuracy).toFixed(1).padStart(6)} ${r.seconds.toFixed(1).padStart(6)}`,
  );
}

await main();
