/**
 * Rank selectors at equal compression (issue #6): the reference ResNet-8 on Fashion-MNIST,
 * every Conv2d of its blocks (layer1..3 c1, c2 and short.0) Tucker2-decomposed (Frobenius,
 * no fine-tuning) at the ranks each selector picks for a model compression ratio of 2x and
 * 3x; the stem conv, the batch norms and fc stay dense. Prints a table and writes
 * results/ranks.json.
 *
 *   pnpm --filter @lowrank/benchmarks bench:ranks [--data bundled|full]
 *
 * Compression ratio = all model params before / after (the compressed layers at their
 * factorized cost plus everything else, unchanged). Every selector takes the ratio as a
 * model-scope budget and solves its own knob by bisection, never over the budget:
 * `rank-budget` the fraction of the rank bounds, `rank-energy` the energy fraction,
 * `rank-vbmf` the VBMF ratio, `error` one relative-error threshold for all layers. The
 * error selector runs twice: with the Frobenius error of each layer's Tucker2 weights, and
 * with its Sigma (functional) error, `Sigma` of each layer's input collected on the first
 * 1,000 bundled training images (`sigma()` of @lowrank/norm-sigma through core's
 * `calibrate`). Both measure the error of the Frobenius Tucker2 decomposition that is
 * deployed here (`decomposeUnder: 'frobenius'`), only in different norms. FLOPs are multiply-accumulates
 * per image of the convs and fc (batch norm and the rest not counted).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  batches,
  type CalibrationBatch,
  type Cost,
  calibrate,
  createEngine,
  denseCost,
  type Engine,
  type LayerInfo,
  layerInfo,
  type Metric,
  type NormPlugin,
  nn,
  type RankSelection,
  type Tensor,
} from '@lowrank/core';
import { loadWeightsFile } from '@lowrank/core/node';
import { FASHION_MNIST_NORMALIZATION, loadFashionMnist } from '@lowrank/fashion-mnist';
import { ResNet8 } from '@lowrank/models';
import { sigma } from '@lowrank/norm-sigma';
import { rankBudget } from '@lowrank/rank-budget';
import { rankEnergy } from '@lowrank/rank-energy';
import { error } from '@lowrank/rank-error';
import { rankVbmf } from '@lowrank/rank-vbmf';
import { tucker2 } from '@lowrank/tucker2';
import { testAccuracy } from '../common/accuracy.js';

const MODELS = new URL('../../../shared/models/', import.meta.url);
const RESULTS = new URL('../results/', import.meta.url);
const TARGETS = [2, 3];
const BATCH = 250;
const SAMPLE_SHAPE = [1, 28, 28];
/** The layers compressed: every Conv2d inside a residual block. */
const BLOCK_CONV = /^layer\d\.(c1|c2|short\.0)$/;
/** Training images whose layer inputs give Sigma for the error selector's Sigma norm. */
const CALIBRATION_IMAGES = 1000;

interface Layer {
  info: LayerInfo;
  weight: Tensor;
  module: nn.Conv2d;
  parent: nn.Module;
  childName: string;
}

interface Run {
  target: number;
  selector: string;
  /** The knob each selector solved: fraction of the rank bounds, energy fraction, VBMF ratio or error threshold. */
  knob: number | null;
  knobName: string;
  ranks: Record<string, number[] | 'dense'>;
  params: { before: number; after: number };
  ratio: number;
  flops: { before: number; after: number };
  flopsReduction: number;
  accuracy: number;
  /** Error selectors: each layer's relative error (in the selector's norm) at its ranks. */
  errors?: Record<string, number>;
  /** Seconds the selection took (errors measured once per selector, shared by 2x and 3x). */
  selectSeconds: number;
  note?: string;
}

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Input [H, W] of every Conv2d and Linear, recorded by forward hooks on one image. */
function inputSizes(engine: Engine, model: nn.Module): Map<string, [number, number]> {
  const sizes = new Map<string, [number, number]>();
  const removers = model
    .namedModules()
    .filter(([, m]) => m instanceof nn.Conv2d)
    .map(([name, m]) =>
      m.addForwardHook((_, inputs) => {
        const shape = inputs[0].shape;
        sizes.set(name, [shape[2], shape[3]]);
      }),
    );
  engine.noGrad(() => engine.tidy(() => model.call(engine.zeros([1, ...SAMPLE_SHAPE]))));
  for (const remove of removers) remove();
  return sizes;
}

/**
 * The Sigma norm's metric of every compressed layer: `Sigma` of its input over every patch,
 * collected on the first CALIBRATION_IMAGES bundled training images through `calibrate`.
 */
async function sigmaMetrics(
  norm: NormPlugin,
  model: nn.Module,
  layers: readonly Layer[],
): Promise<Map<string, Metric>> {
  const collector = norm.collector(layers.map(({ info, module }) => ({ info, module })));
  const train = await loadFashionMnist({ source: 'bundled', split: 'train' });
  function* calibration(): Generator<CalibrationBatch> {
    for (const b of batches({
      images: train.images,
      labels: train.labels,
      count: CALIBRATION_IMAGES,
      sampleShape: SAMPLE_SHAPE,
      batchSize: BATCH,
      normalize: FASHION_MNIST_NORMALIZATION,
    })) {
      const inputs = model.engine.fromData(b.x, b.xShape);
      try {
        yield { inputs };
      } finally {
        inputs.dispose();
      }
    }
  }
  await calibrate(model, [collector], calibration());
  const stats = collector.statistics();
  return new Map(layers.map(({ info }) => [info.name, norm.metric(info, stats.get(info.name))]));
}

function pad(s: string | number, n: number): string {
  return String(s).padEnd(n);
}

async function main(): Promise<void> {
  const dataKind = argValue('--data') ?? 'bundled';
  if (dataKind !== 'bundled' && dataKind !== 'full')
    throw new Error(`--data: 'bundled' or 'full', not '${dataKind}'`);
  const decomposition = tucker2();
  const norm = sigma();
  const engine = createEngine().use(decomposition).use(norm);
  const model = new ResNet8(engine);
  await loadWeightsFile(model, fileURLToPath(new URL('fmnist-resnet8.safetensors', MODELS)));
  model.eval();
  const data = await loadFashionMnist({ source: dataKind, split: 'test' });

  const sizes = inputSizes(engine, model);
  const layers: Layer[] = model
    .namedModules()
    .filter(([name, m]) => m instanceof nn.Conv2d && BLOCK_CONV.test(name))
    .map(([name, m]) => {
      const module = m as nn.Conv2d;
      const size = sizes.get(name);
      if (!size) throw new Error(`no input size recorded for ${name}`);
      const dot = name.lastIndexOf('.');
      return {
        info: layerInfo(name, module, size),
        weight: module.weight,
        module,
        parent: model.getModule(name.slice(0, dot)),
        childName: name.slice(dot + 1),
      };
    });

  // Everything the selection does not touch: all other params (stem conv, batch norms, fc),
  // and the MACs of the stem conv and fc.
  const totalParams = model.numParameters();
  const layerParams = layers.reduce((s, l) => s + denseCost(l.info).params, 0);
  const stem = model.namedModules().filter(([name, m]) => m instanceof nn.Conv2d && !BLOCK_CONV.test(name));
  const restFlops =
    stem.reduce((s, [name, m]) => s + denseCost(layerInfo(name, m, sizes.get(name))).flops, 0) +
    denseCost(layerInfo('fc', model.getModule('fc'))).flops;
  const rest: Cost = { params: totalParams - layerParams, flops: restFlops };
  const denseFlops = rest.flops + layers.reduce((s, l) => s + denseCost(l.info).flops, 0);

  console.log(`ResNet-8, ${data.count} test images (${dataKind}); params ${totalParams}, MACs ${denseFlops}`);
  for (const l of layers) {
    const c = denseCost(l.info);
    console.log(
      `  ${pad(l.info.name, 14)} ${l.info.weightShape.join('x')} input ${l.info.inputSize?.join('x')}: params ${c.params}, MACs ${c.flops}`,
    );
  }
  console.log(`  rest (stem conv, BN, fc): params ${rest.params}, MACs ${rest.flops}`);

  const denseAccuracy = testAccuracy(engine, model, data);
  console.log(`dense accuracy ${denseAccuracy.toFixed(4)}`);

  const context = { engine, decomposition, layers: layers.map(({ info, weight }) => ({ info, weight })) };
  const modelParams = (s: RankSelection) => rest.params + s.total.after.params;

  const calibrationStart = performance.now();
  const metrics = await sigmaMetrics(norm, model, layers);
  console.log(
    `Sigma of ${layers.length} layer inputs on ${CALIBRATION_IMAGES} training images: ${((performance.now() - calibrationStart) / 1000).toFixed(1)} s`,
  );
  // One instance each for both targets, so the error selectors measure each error once.
  // `decomposeUnder: 'frobenius'`: the Sigma error of the Frobenius Tucker2 decomposition
  // deployed below (not of Tucker2-ALS-Sigma).
  const errorFrobenius = error();
  const errorSigma = error({ decomposeUnder: 'frobenius' });

  const runs: Run[] = [];
  for (const target of TARGETS) {
    const budget = { kind: 'ratio' as const, value: target, scope: 'model' as const, rest };
    const candidates: {
      selector: string;
      knobName: string;
      pick: () => Promise<{ knob: number; selection: RankSelection; errors?: Record<string, number> }>;
    }[] = [
      {
        selector: 'rank-budget',
        knobName: 'fraction of rank bounds',
        pick: async () => {
          const s = await rankBudget().select(context, budget);
          return { knob: s.fraction, selection: s };
        },
      },
      {
        selector: 'rank-energy',
        knobName: 'energy fraction',
        pick: async () => {
          const s = await rankEnergy().select(context, budget);
          return { knob: s.fraction, selection: s };
        },
      },
      {
        selector: 'rank-vbmf',
        knobName: 'VBMF ratio',
        pick: async () => {
          const s = await rankVbmf().select(context, budget);
          return { knob: s.ratio, selection: s };
        },
      },
      {
        selector: 'error (Frobenius)',
        knobName: 'Frobenius error threshold',
        pick: async () => {
          const s = await errorFrobenius.select(context, budget);
          return { knob: s.threshold, selection: s, errors: s.errors };
        },
      },
      {
        selector: 'error (Sigma)',
        knobName: 'Sigma error threshold',
        pick: async () => {
          const s = await errorSigma.select({ ...context, metrics }, budget);
          return { knob: s.threshold, selection: s, errors: s.errors };
        },
      },
    ];
    for (const { selector, knobName, pick } of candidates) {
      const selectStart = performance.now();
      let picked: Awaited<ReturnType<typeof pick>>;
      try {
        picked = await pick();
      } catch (e) {
        if (!String(e).includes('cannot be met')) throw e;
        console.log(`${target}x ${selector}: ${String(e)}`);
        runs.push({
          target,
          selector,
          knob: null,
          knobName,
          ranks: {},
          params: { before: totalParams, after: Number.NaN },
          ratio: Number.NaN,
          flops: { before: denseFlops, after: Number.NaN },
          flopsReduction: Number.NaN,
          accuracy: Number.NaN,
          selectSeconds: (performance.now() - selectStart) / 1000,
          note: String(e),
        });
        continue;
      }
      const selectSeconds = (performance.now() - selectStart) / 1000;
      const { knob, selection } = picked;
      const ranks: Record<string, number[] | 'dense'> = {};
      for (const [j, l] of layers.entries()) {
        const entry = selection.layers[j];
        if (entry.name !== l.info.name) throw new Error(`selection order: ${entry.name} != ${l.info.name}`);
        if (entry.keptDense) {
          ranks[l.info.name] = 'dense';
          continue;
        }
        ranks[l.info.name] = entry.ranks;
        const factors = await decomposition.decompose(l.weight, l.info, entry.ranks);
        l.parent.replaceModule(l.childName, decomposition.layer(factors, l.info, l.module.bias));
      }
      const after = modelParams(selection);
      const actual = model.numParameters();
      if (actual !== after)
        throw new Error(`${selector} ${target}x: model has ${actual} params, selection says ${after}`);
      const accuracy = testAccuracy(engine, model, data);
      // Restore the dense layers for the next run (the originals were kept, not disposed).
      for (const l of layers) l.parent.replaceModule(l.childName, l.module);
      const flopsAfter = rest.flops + selection.total.after.flops;
      const run: Run = {
        target,
        selector,
        knob,
        knobName,
        ranks,
        params: { before: totalParams, after },
        ratio: totalParams / after,
        flops: { before: denseFlops, after: flopsAfter },
        flopsReduction: denseFlops / flopsAfter,
        accuracy,
        ...(picked.errors ? { errors: picked.errors } : {}),
        selectSeconds,
      };
      runs.push(run);
      console.log(
        `${target}x ${pad(selector, 17)} ${knobName} ${knob.toPrecision(4)}: ratio ${run.ratio.toFixed(3)}, accuracy ${accuracy.toFixed(4)}, selected in ${selectSeconds.toFixed(1)} s`,
      );
    }
  }
  if (testAccuracy(engine, model, data) !== denseAccuracy) throw new Error('dense model not restored');

  const names = layers.map((l) => l.info.name);
  console.log();
  console.log(
    `| target | selector | knob | params | ratio | MACs reduction | accuracy | ${names.join(' | ')} |`,
  );
  console.log(`| --- | --- | --- | --- | --- | --- | --- | ${names.map(() => '---').join(' | ')} |`);
  console.log(
    `| 1x | dense | - | ${totalParams} | 1.000 | 1.000 | ${denseAccuracy.toFixed(3)} | ${names.map(() => '-').join(' | ')} |`,
  );
  for (const r of runs) {
    const ranks = names.map((n) => {
      const v = r.ranks[n];
      return v === undefined ? '-' : v === 'dense' ? 'dense' : v.join(',');
    });
    console.log(
      `| ${r.target}x | ${r.selector} | ${r.knob === null ? '-' : `${r.knobName} ${r.knob.toPrecision(4)}`} | ${r.params.after} | ${r.ratio.toFixed(3)} | ${r.flopsReduction.toFixed(3)} | ${r.accuracy.toFixed(3)} | ${ranks.join(' | ')} |`,
    );
  }

  mkdirSync(RESULTS, { recursive: true });
  const out = new URL('ranks.json', RESULTS);
  const partial = new URL('ranks.json.tmp', RESULTS);
  writeFileSync(
    partial,
    `${JSON.stringify(
      {
        model: 'ResNet8 (shared/models/fmnist-resnet8.safetensors)',
        data: { source: dataKind, split: 'test', count: data.count },
        decomposition: 'tucker2 (Frobenius), no fine-tuning',
        calibration: {
          source: 'bundled',
          split: 'train',
          count: CALIBRATION_IMAGES,
          use: "Sigma of each compressed layer's input, for the error selector's Sigma norm",
        },
        layers: layers.map((l) => ({
          name: l.info.name,
          weightShape: l.info.weightShape,
          inputSize: l.info.inputSize,
          dense: denseCost(l.info),
        })),
        rest,
        dense: { params: totalParams, flops: denseFlops, accuracy: denseAccuracy },
        runs,
      },
      null,
      2,
    )}\n`,
  );
  renameSync(partial, out);
  console.log(`\nwrote ${fileURLToPath(out)}`);
}

await main();
