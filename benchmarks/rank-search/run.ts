/**
 * Rank search at equal compression (issue #7): the reference ResNet-8 on Fashion-MNIST,
 * every Conv2d of its blocks (all convs but the stem) Tucker2-decomposed at the ranks of
 * four selectors for 2x fewer params over those layers: uniform (`rank-budget`), LWIQ
 * (`rank-lwiq`) scoring layers by proxy accuracy and by proxy accuracy gain, and RENE
 * (`rank-rene`, its searched ranks scaled by one common factor onto the budget). RENE keeps
 * some layers dense and so saves fewer MACs than the others at the same params; a fifth
 * arm, uniform at RENE's MACs (`flops-reduction` budget), compares them at equal MACs.
 * Each arm is evaluated without fine-tuning and after the same fine-tune (`L_ce + lambda
 * L_diss`, Adam with a cosine schedule, the same images, epochs and settings for every
 * arm). Prints a table and writes results/rank-search.json.
 *
 *   pnpm --filter @lowrank/benchmarks bench:rank-search [--data full|bundled] [--model PATH] [--quick]
 *     [--only uniform,lwiq-accuracy,lwiq-gain,rene,uniform-rene-macs [--merge]] [--fine-tune-seed N]
 *
 * `--quick` checks the pipeline in a few minutes (2 search and 2 fine-tune steps, 250
 * test images). `--only` runs a subset of the arms (uniform always among them) and
 * `--fine-tune-seed` shuffles the fine-tune batches with another seed (default 1): with
 * them one can see how much the fine-tuned accuracies move with the batch order. These
 * check runs print their tables and write nothing, except `--only ... --merge`: it re-runs
 * those arms and replaces them (uniform aside) in the existing results/rank-search.json,
 * after checking that the re-run uniform arm gives the stored accuracies (so every Δ stays
 * against the same uniform model).
 *
 * Test accuracy is on the full 10,000-image test set (`--data full`, the default; the run
 * stops when it is not installed) or, with `--data bundled`, on the bundled 1,000. The
 * table gives one standard error of each accuracy and, against uniform, the paired
 * standard error of the difference (the same test images for every arm). Calibration
 * (LWIQ), RENE's validation batches and the fine-tune use the bundled 6,000 training
 * images: images 5,000..5,999 calibrate and validate, the fine-tune passes over 0..4,999.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  add,
  type Budget,
  batches,
  calibrate,
  createEngine,
  crossEntropy,
  denseCost,
  type Engine,
  type LayerInfo,
  layerInfo,
  mean,
  mul,
  type nn,
  optim,
  type RankSelection,
  square,
  sub,
  sum,
  type Tensor,
} from '@lowrank/core';
import { loadWeightsFile } from '@lowrank/core/node';
import { FASHION_MNIST_NORMALIZATION, type FashionMnist, loadFashionMnist } from '@lowrank/fashion-mnist';
import { ResNet8 } from '@lowrank/models';
import { rankBudget } from '@lowrank/rank-budget';
import { lwiq } from '@lowrank/rank-lwiq';
import { MixtureLayer, type ReneSelection, reneSearch, type ValidationBatch } from '@lowrank/rank-rene';
import { type Tucker2Plugin, tucker2 } from '@lowrank/tucker2';
import { accuracyOf, accuracyStandardError, pairedStandardError } from './standard-error.js';
import { testHits } from './test-hits.js';

/** The reference weights, or `--model PATH`. */
const MODEL =
  argValue('--model') ??
  fileURLToPath(new URL('../../../shared/models/fmnist-resnet8.safetensors', import.meta.url));
const RESULTS = new URL('../results/', import.meta.url);
const SAMPLE_SHAPE = [1, 28, 28];
/** All convs but the stem. */
const BLOCK_CONV = /^layer\d\.(c1|c2|short\.0)$/;
const BUDGET: Budget = { kind: 'ratio', value: 2 };
/** Images 5,000..5,999 of the bundled training set: LWIQ calibration and RENE's validation batches. */
const HELD_OUT = { start: 5000, count: 1000 };

/** The search settings; chosen so that the search takes a few minutes on 2 shared cores. */
const RENE = {
  interval: 10,
  factor: 10,
  gamma: 0.4,
  beta: 0.8,
  warmupSteps: 5,
  searchSteps: 20,
  weightLr: 1e-3,
  logitLr: 0.1,
  validationBatch: 32,
  candidateHooiIterations: 10,
  seed: 0,
};
/**
 * The fine-tune every arm gets: `L_ce + lambda (sum ‖W - What‖^2 + sum_i mean (O_i - D_i)^2)`,
 * `epochs` full passes over `images` training images (a new shuffle each epoch), Adam with
 * the learning rate annealed from `lr` to 0 by a cosine over all steps.
 */
const FINE_TUNE = { epochs: 2, batchSize: 100, lr: 1e-3, lambda: 0.1, seed: 1, images: 5000 };

interface Layer {
  info: LayerInfo;
  parentName: string;
  childName: string;
}

/** An accuracy difference to the uniform arm on the same test images, with its paired standard error. */
interface Difference {
  difference: number;
  standardError: number;
}

interface Arm {
  selector: string;
  budget: Budget;
  ranks: Record<string, number[] | 'dense'>;
  /** Params and MACs of the compressed layers, before and after, and their ratios. */
  layers: {
    before: number;
    after: number;
    ratio: number;
    macsBefore: number;
    macsAfter: number;
    macsRatio: number;
  };
  model: { params: number; ratio: number };
  accuracy: {
    noFineTune: number;
    fineTuned: number;
    standardError: { noFineTune: number; fineTuned: number };
    minusUniform: { noFineTune: Difference; fineTuned: Difference };
  };
  seconds: { select: number; fineTune: number };
  detail: unknown;
}

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function slice(data: FashionMnist, start: number, count: number): FashionMnist {
  const px = 28 * 28;
  return {
    ...data,
    images: data.images.subarray(start * px, (start + count) * px),
    labels: data.labels.subarray(start, start + count),
    count,
  };
}

/** Tensor batches of a data set, in order. */
function tensorBatches(engine: Engine, data: FashionMnist, batchSize: number): ValidationBatch[] {
  return [
    ...batches({
      images: data.images,
      labels: data.labels,
      count: data.count,
      sampleShape: SAMPLE_SHAPE,
      batchSize,
      normalize: FASHION_MNIST_NORMALIZATION,
    }),
  ].map((b) => ({
    inputs: engine.keep(engine.fromData(b.x, b.xShape)),
    labels: engine.keep(engine.fromData(b.y, [b.size])),
  }));
}

async function loadModel(engine: Engine): Promise<ResNet8> {
  const model = new ResNet8(engine);
  await loadWeightsFile(model, MODEL);
  return model.eval();
}

function conv(model: nn.Module, name: string): nn.Conv2d {
  return model.getModule(name) as nn.Conv2d;
}

/**
 * Fine-tunes the factors (and every other parameter) of `student`, whose compressed layers
 * are single-candidate mixtures computing with `reconstruct(factors)`, against the dense
 * `teacher`: `L_ce + lambda L_diss` with `L_diss = sum_i ‖W_i - What_i‖^2 + sum_i
 * mean((O_i(x) - D_i(x))^2)` (RENE's fine-tuning loss), for `steps` Adam steps over whole
 * epochs of `FINE_TUNE.images` images, the learning rate on a cosine from `FINE_TUNE.lr` to
 * 0. Batch norms keep their running statistics (eval mode): re-estimating them from 5,000
 * images would add noise of its own, and every arm is treated alike.
 */
function fineTune(
  engine: Engine,
  student: nn.Module,
  teacher: nn.Module,
  layers: readonly Layer[],
  mixtures: readonly MixtureLayer[],
  train: FashionMnist,
  steps: number,
): void {
  for (const m of mixtures) m.logits.requireGrad(false);
  const params = student.parameters().filter((p) => p.requiresGrad);
  const opt = new optim.Adam(params, { lr: FINE_TUNE.lr });
  const scheduler = new optim.LrScheduler(opt, optim.cosineSchedule({ base: FINE_TUNE.lr, total: steps }));
  const teacherOut = new Map<string, Tensor>();
  const diss: Tensor[] = [];
  const removers = [
    ...layers.map((l) =>
      teacher.getModule(l.info.name).addForwardHook((_, __, out) => {
        teacherOut.set(l.info.name, engine.keep(out));
      }),
    ),
    ...layers.map((l, i) =>
      mixtures[i].addForwardHook((_, __, out) => {
        const target = teacherOut.get(l.info.name) as Tensor;
        diss.push(engine.keep(engine.tidy(() => mean(square(sub(out, target))))));
      }),
    ),
  ];
  const weights = layers.map((l) => conv(teacher, l.info.name).weight);
  student.eval();
  const started = performance.now();
  try {
    let step = 0;
    for (let epoch = 0; step < steps; epoch++) {
      for (const b of batches({
        images: train.images,
        labels: train.labels,
        count: FINE_TUNE.images,
        sampleShape: SAMPLE_SHAPE,
        batchSize: FINE_TUNE.batchSize,
        shuffle: true,
        seed: FINE_TUNE.seed + epoch,
        normalize: FASHION_MNIST_NORMALIZATION,
      })) {
        if (step >= steps) break;
        const [ceValue, dissValue] = engine.tidy(() => {
          const x = engine.fromData(b.x, b.xShape);
          engine.noGrad(() => engine.tidy(() => teacher.call(x)));
          const ce = crossEntropy(student.call(x), engine.fromData(b.y, [b.size]));
          let dissLoss: Tensor = diss.reduce((a, t) => add(a, t));
          for (const [i, m] of mixtures.entries()) {
            dissLoss = add(dissLoss, sum(square(sub(weights[i], m.mixedWeight()))));
          }
          const loss = add(ce, mul(dissLoss, FINE_TUNE.lambda));
          opt.zeroGrad();
          loss.backward();
          opt.step();
          for (const t of [...teacherOut.values(), ...diss]) t.dispose();
          teacherOut.clear();
          diss.length = 0;
          return [ce.itemSync(), dissLoss.itemSync()];
        });
        scheduler.step();
        step++;
        if (step === 1 || step % 10 === 0 || step === steps) {
          const seconds = (performance.now() - started) / 1000;
          console.log(
            `  fine-tune epoch ${epoch + 1} step ${step}/${steps}: L_ce ${ceValue.toFixed(3)}, L_diss ${dissValue.toFixed(3)} (${(seconds / step).toFixed(2)} s/step)`,
          );
        }
      }
    }
  } finally {
    for (const remove of removers) remove();
    opt.zeroGrad();
    opt.dispose();
  }
}

/** Swaps every compressed layer of `model` for `make(layer, dense module)`. */
function replaceLayers(
  model: nn.Module,
  layers: readonly Layer[],
  make: (l: Layer, dense: nn.Conv2d) => nn.Module,
) {
  for (const l of layers) {
    const dense = conv(model, l.info.name);
    model.getModule(l.parentName).replaceModule(l.childName, make(l, dense));
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const quick = process.argv.includes('--quick');
  const only = argValue('--only')?.split(',');
  const seedArg = argValue('--fine-tune-seed');
  if (seedArg !== undefined) {
    const seed = Number(seedArg);
    if (!Number.isSafeInteger(seed)) throw new Error(`--fine-tune-seed: an integer, not '${seedArg}'`);
    FINE_TUNE.seed = seed;
  }
  // Checks (quick, a subset of arms, another shuffle seed) print their table but keep the results file.
  const check = quick || only !== undefined || seedArg !== undefined;
  const merge = process.argv.includes('--merge');
  if (merge && (only === undefined || quick || seedArg !== undefined))
    throw new Error(
      '--merge: re-runs the arms of --only into the results file; use it with --only, without --quick or --fine-tune-seed',
    );
  if (quick) Object.assign(RENE, { warmupSteps: 1, searchSteps: 2 });
  const fineTuneSteps = quick ? 2 : FINE_TUNE.epochs * Math.ceil(FINE_TUNE.images / FINE_TUNE.batchSize);
  const dataKind = argValue('--data') ?? 'full';
  if (dataKind !== 'bundled' && dataKind !== 'full')
    throw new Error(`--data: 'bundled' or 'full', not '${dataKind}'`);
  const decomposition: Tucker2Plugin = tucker2();
  const engine = createEngine({ seed: 0 }).use(decomposition);
  let test: FashionMnist;
  try {
    test = await loadFashionMnist({ source: dataKind, split: 'test' });
  } catch (e) {
    throw new Error(
      `rank-search: the ${dataKind} Fashion-MNIST test set could not be loaded (${(e as Error).message}); install it or pass --data bundled for the bundled 1,000 images`,
    );
  }
  if (quick) test = slice(test, 0, 250);
  const train = await loadFashionMnist({ source: 'bundled', split: 'train' });
  const heldOut = slice(train, HELD_OUT.start, HELD_OUT.count);

  const teacher = await loadModel(engine);
  const sizes = new Map<string, [number, number]>();
  const removers = teacher
    .namedModules()
    .filter(([name]) => BLOCK_CONV.test(name))
    .map(([name, m]) => m.addForwardHook((_, xs) => sizes.set(name, [xs[0].shape[2], xs[0].shape[3]])));
  engine.noGrad(() => engine.tidy(() => teacher.call(engine.zeros([1, ...SAMPLE_SHAPE]))));
  for (const remove of removers) remove();
  // Forward order (c1, c2, shortcut of each block), the order of every table.
  const layers: Layer[] = teacher
    .namedModules()
    .filter(([name]) => BLOCK_CONV.test(name))
    .map(([name, m]) => {
      const dot = name.lastIndexOf('.');
      return {
        info: layerInfo(name, m, sizes.get(name)),
        parentName: name.slice(0, dot),
        childName: name.slice(dot + 1),
      };
    });
  const totalParams = teacher.numParameters();
  const layerParams = layers.reduce((s, l) => s + denseCost(l.info).params, 0);
  const layerMacs = layers.reduce((s, l) => s + denseCost(l.info).flops, 0);
  const denseHits = testHits(engine, teacher, test);
  const denseAccuracy = accuracyOf(denseHits);
  console.log(
    `ResNet-8: ${totalParams} params, ${layerParams} in the ${layers.length} compressed convs; dense accuracy ${denseAccuracy.toFixed(4)} ± ${accuracyStandardError(denseHits).toFixed(4)} on ${test.count} test images (${dataKind})`,
  );

  const context = {
    engine,
    decomposition,
    layers: layers.map((l) => ({ info: l.info, weight: conv(teacher, l.info.name).weight })),
  };
  const validation = tensorBatches(engine, heldOut, RENE.validationBatch);
  const calibration = tensorBatches(engine, heldOut, 100);

  const lwiqArm = async (score: 'accuracy' | 'gain') => {
    const plugin = lwiq({ score });
    const model = await loadModel(engine);
    const collector = plugin.collector(
      layers.map((l) => ({ info: l.info, module: model.getModule(l.info.name) })),
    );
    await calibrate(model, [collector], calibration);
    const s = await plugin.select({ ...context, stats: collector.statistics() }, BUDGET);
    return { selection: s, detail: { kappa: s.kappa, scores: s.scores } };
  };
  const arms: Arm[] = [];
  const selectors: {
    key: string;
    name: string;
    budget: () => Budget;
    select: (budget: Budget) => Promise<{ selection: RankSelection; detail: unknown }>;
  }[] = [
    {
      key: 'uniform',
      name: 'uniform (rank-budget)',
      budget: () => BUDGET,
      select: async (budget) => {
        const s = await rankBudget().select(context, budget);
        return { selection: s, detail: { fraction: s.fraction } };
      },
    },
    {
      key: 'lwiq-accuracy',
      name: 'LWIQ, accuracy score',
      budget: () => BUDGET,
      select: () => lwiqArm('accuracy'),
    },
    { key: 'lwiq-gain', name: 'LWIQ, gain score', budget: () => BUDGET, select: () => lwiqArm('gain') },
    {
      key: 'rene',
      name: 'RENE (rank-rene)',
      budget: () => BUDGET,
      select: async (budget) => {
        const model = await loadModel(engine);
        const s: ReneSelection = await reneSearch(engine, model, {
          ...RENE,
          decomposition,
          layers: layers.map((l) => l.info.name),
          validation,
          budget,
          decomposeOptions: { maxIterations: RENE.candidateHooiIterations },
          onProgress: (p) => {
            const line = `  RENE stage ${p.stage + 1} (s=${p.interval}) ${p.phase} ${p.step}/${p.steps}: weight error ${p.weightError.toFixed(3)}, L_r ${p.rankLoss.toFixed(3)}${p.validationLoss === undefined ? '' : `, L_val ${p.validationLoss.toFixed(3)}`}`;
            if (p.step === p.steps || p.step % 10 === 0) console.log(line);
          },
        });
        const unscaled = s.search.map((l) => l.searched);
        return {
          selection: s,
          detail: { search: s.search, scale: s.scale, searchedScalarRanks: unscaled },
        };
      },
    },
    {
      // At least RENE's MACs reduction: the same compute as RENE, more params.
      key: 'uniform-rene-macs',
      name: "uniform at RENE's MACs",
      budget: () => {
        const rene = arms.find((a) => a.selector === 'RENE (rank-rene)') as Arm;
        return { kind: 'flops-reduction', value: rene.layers.macsRatio };
      },
      select: async (budget) => {
        const s = await rankBudget().select(context, budget);
        return { selection: s, detail: { fraction: s.fraction } };
      },
    },
  ];

  const hitsOf = new Map<string, { noFineTune: Uint8Array; fineTuned: Uint8Array }>();
  const keys = selectors.map((s) => s.key);
  const unknown = only?.filter((k) => !keys.includes(k)) ?? [];
  if (unknown.length > 0 || (only && !only.includes('uniform')))
    throw new Error(
      `--only: a comma-separated subset of ${keys.join(', ')} that includes uniform (the reference of every difference)${unknown.length > 0 ? `; unknown: ${unknown.join(', ')}` : ''}`,
    );
  if (only?.includes('uniform-rene-macs') && !only.includes('rene'))
    throw new Error("--only: uniform-rene-macs needs rene (it takes RENE's MACs as its budget)");
  for (const { name, budget: budgetOf, select } of selectors.filter((s) => !only || only.includes(s.key))) {
    const budget = budgetOf();
    const t0 = performance.now();
    const { selection, detail } = await select(budget);
    const selectSeconds = (performance.now() - t0) / 1000;
    const model = await loadModel(engine);
    const factors = new Map<string, Awaited<ReturnType<Tucker2Plugin['decompose']>>>();
    const ranks: Arm['ranks'] = {};
    for (const [j, l] of layers.entries()) {
      const entry = selection.layers[j];
      if (entry.name !== l.info.name) throw new Error(`selection order: ${entry.name} != ${l.info.name}`);
      ranks[l.info.name] = entry.keptDense ? 'dense' : entry.ranks;
      if (!entry.keptDense) {
        factors.set(
          l.info.name,
          await decomposition.decompose(conv(teacher, l.info.name).weight, l.info, entry.ranks),
        );
      }
    }
    const compressed = layers.filter((l) => factors.has(l.info.name));
    replaceLayers(model, compressed, (l) => decomposition.layer(factors.get(l.info.name)!, l.info, null));
    const paramsAfter = model.numParameters();
    const noFineTune = testHits(engine, model, test);

    // Fine-tune through single-candidate mixtures (the same function, differentiable in the
    // factors), then build the factorized layers from the tuned factors.
    const tuned = await loadModel(engine);
    const mixtures = compressed.map(
      (l) =>
        new MixtureLayer(
          engine,
          l.info,
          decomposition,
          [{ scalar: 0, ranks: ranks[l.info.name] as number[], factors: factors.get(l.info.name)! }],
          null,
        ),
    );
    replaceLayers(tuned, compressed, (l) => mixtures[compressed.indexOf(l)]);
    console.log(`${name}: fine-tuning ${fineTuneSteps} steps`);
    const t1 = performance.now();
    fineTune(engine, tuned, teacher, compressed, mixtures, train, fineTuneSteps);
    const fineTuneSeconds = (performance.now() - t1) / 1000;
    replaceLayers(tuned, compressed, (l) =>
      decomposition.layer(mixtures[compressed.indexOf(l)].candidates[0].factors, l.info, null),
    );
    for (const m of mixtures) m.disposeCandidates();
    if (tuned.numParameters() !== paramsAfter)
      throw new Error(`${name}: parameter count changed in fine-tuning`);
    const fineTuned = testHits(engine, tuned, test);
    hitsOf.set(name, { noFineTune, fineTuned });

    const uniform = hitsOf.get(selectors[0].name) as { noFineTune: Uint8Array; fineTuned: Uint8Array };
    const versus = (a: Uint8Array, b: Uint8Array) => ({
      difference: accuracyOf(a) - accuracyOf(b),
      standardError: pairedStandardError(a, b),
    });
    const { before, after } = selection.total;
    const arm: Arm = {
      selector: name,
      budget,
      ranks,
      layers: {
        before: before.params,
        after: after.params,
        ratio: before.params / after.params,
        macsBefore: before.flops,
        macsAfter: after.flops,
        macsRatio: before.flops / after.flops,
      },
      model: { params: paramsAfter, ratio: totalParams / paramsAfter },
      accuracy: {
        noFineTune: accuracyOf(noFineTune),
        fineTuned: accuracyOf(fineTuned),
        standardError: {
          noFineTune: accuracyStandardError(noFineTune),
          fineTuned: accuracyStandardError(fineTuned),
        },
        minusUniform: {
          noFineTune: versus(noFineTune, uniform.noFineTune),
          fineTuned: versus(fineTuned, uniform.fineTuned),
        },
      },
      seconds: { select: selectSeconds, fineTune: fineTuneSeconds },
      detail,
    };
    arms.push(arm);
    console.log(
      `${name}: params ratio ${arm.layers.ratio.toFixed(3)}, MACs ratio ${arm.layers.macsRatio.toFixed(3)}, accuracy ${arm.accuracy.noFineTune.toFixed(4)} -> ${arm.accuracy.fineTuned.toFixed(4)} after fine-tuning (select ${selectSeconds.toFixed(0)} s, fine-tune ${fineTuneSeconds.toFixed(0)} s)`,
    );
  }

  const pct = (x: number) => (100 * x).toFixed(1);
  const delta = (d: { difference: number; standardError: number }) =>
    `${d.difference >= 0 ? '+' : ''}${pct(d.difference)} ± ${pct(d.standardError)}`;
  const denseSe = accuracyStandardError(denseHits);
  console.log(
    `\nAccuracy in % on ${test.count} test images ± one standard error; Δ = minus uniform on the same images ± its paired standard error. Ratios over the ${layers.length} compressed convs (${layerParams} params, ${layerMacs} MACs dense).\n`,
  );
  console.log(
    '| selector | budget | layer params | params ratio | MACs ratio | model ratio | acc. no FT | Δ no FT | acc. FT | Δ FT |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  console.log(
    `| dense | - | ${layerParams} | 1.00 | 1.00 | 1.00 | ${pct(denseAccuracy)} ± ${pct(denseSe)} | - | - | - |`,
  );
  for (const a of arms) {
    const budget = `${a.budget.kind === 'ratio' ? 'params' : 'MACs'} ≥ ${a.budget.value.toFixed(2)}x`;
    console.log(
      `| ${a.selector} | ${budget} | ${a.layers.after} | ${a.layers.ratio.toFixed(2)} | ${a.layers.macsRatio.toFixed(2)} | ${a.model.ratio.toFixed(2)} | ${pct(a.accuracy.noFineTune)} ± ${pct(a.accuracy.standardError.noFineTune)} | ${delta(a.accuracy.minusUniform.noFineTune)} | ${pct(a.accuracy.fineTuned)} ± ${pct(a.accuracy.standardError.fineTuned)} | ${delta(a.accuracy.minusUniform.fineTuned)} |`,
    );
  }
  const names = layers.map((l) => l.info.name);
  console.log(`\n| selector | ${names.join(' | ')} |`);
  console.log(`| --- | ${names.map(() => '---').join(' | ')} |`);
  for (const a of arms) {
    const r = names.map((n) => {
      const v = a.ranks[n];
      return v === 'dense' ? 'dense' : v.join(',');
    });
    console.log(`| ${a.selector} | ${r.join(' | ')} |`);
  }

  const totalSeconds = (performance.now() - started) / 1000;
  if (merge) {
    mergeArms(arms, test.count, dataKind);
    return;
  }
  if (check) {
    console.log(
      `\ncheck run (--quick, --only or --fine-tune-seed): nothing written (${totalSeconds.toFixed(0)} s)`,
    );
    return;
  }
  mkdirSync(RESULTS, { recursive: true });
  const out = fileURLToPath(new URL('rank-search.json', RESULTS));
  writeFileSync(
    `${out}.tmp`,
    `${JSON.stringify(
      {
        model: 'ResNet8 (shared/models/fmnist-resnet8.safetensors)',
        decomposition: 'tucker2 (Frobenius, HOOI 100 sweeps at the selected ranks)',
        layers: layers.map((l) => ({
          name: l.info.name,
          weightShape: l.info.weightShape,
          dense: denseCost(l.info),
        })),
        budget: {
          ...BUDGET,
          scope: 'layers',
          note: "2x fewer params over the compressed layers; each arm lands at or just under it. The last arm instead has at least RENE's MACs reduction",
        },
        test: {
          source: dataKind,
          count: test.count,
          standardError: 'sqrt(p (1 - p) / n) per accuracy; paired (per-image differences) for minusUniform',
        },
        heldOut: {
          source: 'bundled train',
          ...HELD_OUT,
          use: 'LWIQ calibration (batches of 100) and RENE validation batches',
        },
        rene: {
          ...RENE,
          budget: 'searched scalar ranks scaled by one common factor onto the budget (scale in detail)',
        },
        fineTune: {
          ...FINE_TUNE,
          steps: fineTuneSteps,
          optimizer: 'Adam, lr on a cosine from lr to 0 over all steps',
          loss: 'L_ce + lambda (sum_i ||W_i - What_i||^2 + sum_i mean (O_i(x) - D_i(x))^2), teacher = dense model',
          batchNorm: 'eval mode (running statistics fixed), affine parameters trained',
          data: 'bundled train images 0..4999, shuffled with seed + epoch; the same batches for every arm',
        },
        dense: {
          params: totalParams,
          layerParams,
          layerMacs,
          accuracy: denseAccuracy,
          standardError: denseSe,
        },
        arms,
        totalSeconds,
      },
      null,
      2,
    )}\n`,
  );
  renameSync(`${out}.tmp`, out);
  console.log(`\nwrote ${out} (${totalSeconds.toFixed(0)} s in all)`);
}

/**
 * Replaces the stored arms of the same selectors as `arms` (uniform aside) in
 * results/rank-search.json, once the re-run uniform arm is seen to match the stored one.
 */
function mergeArms(arms: readonly Arm[], testCount: number, dataKind: string): void {
  const out = fileURLToPath(new URL('rank-search.json', RESULTS));
  const stored = JSON.parse(readFileSync(out, 'utf8')) as {
    test: { source: string; count: number };
    arms: Arm[];
  };
  if (stored.test.source !== dataKind || stored.test.count !== testCount)
    throw new Error(
      `--merge: ${out} was measured on ${stored.test.count} ${stored.test.source} test images, this run on ${testCount} ${dataKind}`,
    );
  const [uniform, ...rerun] = arms;
  const storedUniform = stored.arms.find((a) => a.selector === uniform.selector);
  if (
    !storedUniform ||
    storedUniform.accuracy.noFineTune !== uniform.accuracy.noFineTune ||
    storedUniform.accuracy.fineTuned !== uniform.accuracy.fineTuned
  )
    throw new Error(
      `--merge: the re-run uniform arm (${uniform.accuracy.noFineTune} / ${uniform.accuracy.fineTuned}) differs from the stored one; the differences would be against another model, so re-run every arm`,
    );
  const date = new Date().toISOString().slice(0, 10);
  for (const arm of rerun) {
    const i = stored.arms.findIndex((a) => a.selector === arm.selector);
    const merged = {
      ...arm,
      rerun: `re-run alone on ${date} (--only ... --merge) against a uniform arm that reproduced its stored accuracies`,
    };
    if (i < 0) stored.arms.push(merged);
    else stored.arms[i] = merged;
  }
  writeFileSync(`${out}.tmp`, `${JSON.stringify(stored, null, 2)}\n`);
  renameSync(`${out}.tmp`, out);
  console.log(`\nmerged ${rerun.map((a) => a.selector).join(', ')} into ${out}`);
}

await main();
