/**
 * LWIQ on the reference ResNet-8 (Fashion-MNIST): calibrate on the first 1,000 bundled
 * training images (the first 500 imprint, the last 500 evaluate each proxy classifier),
 * print every layer's proxy accuracy, then Tucker2 ranks for a 2x (and 3x) whole-model
 * compression chosen by LWIQ (accuracy and gain scores) and by @lowrank/rank-budget's
 * uniform fraction, with the test accuracy of each without fine-tuning on the 1,000
 * bundled test images. The compressed layers are every Conv2d of the residual blocks
 * (as in benchmarks/ranks); the stem conv, batch norms and fc stay dense. Writes
 * results/resnet8.json.
 *
 *   pnpm --filter @lowrank/rank-lwiq measure
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  argmax,
  type Budget,
  batches,
  calibrate,
  createEngine,
  denseCost,
  type Engine,
  equal,
  layerInfo,
  nn,
  type RankSelection,
  sum,
  type Tensor,
} from '@lowrank/core';
import { loadWeightsFile } from '@lowrank/core/node';
import { FASHION_MNIST_NORMALIZATION, type FashionMnist, loadFashionMnist } from '@lowrank/fashion-mnist';
import { ResNet8 } from '@lowrank/models';
import { rankBudget } from '@lowrank/rank-budget';
import { tucker2 } from '@lowrank/tucker2';
import { type LwiqStatistics, lwiq } from '../src/index.js';

const MODEL = fileURLToPath(new URL('../../../../shared/models/fmnist-resnet8.safetensors', import.meta.url));
const RESULTS = new URL('../results/', import.meta.url);
const SAMPLE_SHAPE = [1, 28, 28];
const CALIBRATION = 1000;
const IMPRINT = 500;
const TARGETS = [2, 3];
const BLOCK_CONV = /^layer\d\.(c1|c2|short\.0)$/;

/** Labelled tensor batches; each is disposed once the next is asked for. */
function* tensorBatches(
  engine: Engine,
  data: FashionMnist,
  count: number,
): Generator<{ inputs: Tensor; labels: Tensor }> {
  for (const b of batches({
    images: data.images,
    labels: data.labels,
    count,
    sampleShape: SAMPLE_SHAPE,
    batchSize: 250,
    normalize: FASHION_MNIST_NORMALIZATION,
  })) {
    const batch = { inputs: engine.fromData(b.x, b.xShape), labels: engine.fromData(b.y, [b.size]) };
    yield batch;
    batch.inputs.dispose();
    batch.labels.dispose();
  }
}

function evaluate(engine: Engine, model: nn.Module, data: FashionMnist): number {
  let correct = 0;
  for (const { inputs, labels } of tensorBatches(engine, data, data.count)) {
    const hits = engine.noGrad(() => engine.tidy(() => sum(equal(argmax(model.call(inputs), 1), labels))));
    correct += hits.itemSync();
    hits.dispose();
  }
  return correct / data.count;
}

const decomposition = tucker2();
const selector = lwiq({ imprintSamples: IMPRINT });
const engine = createEngine().use(decomposition).use(selector);
const model = new ResNet8(engine);
await loadWeightsFile(model, MODEL);
model.eval();

// Input sizes of the convs, from one forward pass.
const sizes = new Map<string, [number, number]>();
const removers = model
  .namedModules()
  .filter(([, m]) => m instanceof nn.Conv2d)
  .map(([name, m]) =>
    m.addForwardHook((_, inputs) => sizes.set(name, [inputs[0].shape[2], inputs[0].shape[3]])),
  );
engine.noGrad(() => engine.tidy(() => model.call(engine.zeros([1, ...SAMPLE_SHAPE]))));
for (const remove of removers) remove();

const layers = model
  .namedModules()
  .filter(([name, m]) => m instanceof nn.Conv2d && BLOCK_CONV.test(name))
  .map(([name, m]) => {
    const module = m as nn.Conv2d;
    const dot = name.lastIndexOf('.');
    return {
      info: layerInfo(name, module, sizes.get(name)),
      weight: module.weight,
      module,
      parent: model.getModule(name.slice(0, dot)),
      child: name.slice(dot + 1),
    };
  });
const totalParams = model.numParameters();
const rest = {
  params: totalParams - layers.reduce((s, l) => s + denseCost(l.info).params, 0),
  flops:
    model
      .namedModules()
      .filter(([name, m]) => m instanceof nn.Conv2d && !BLOCK_CONV.test(name))
      .reduce((s, [name, m]) => s + denseCost(layerInfo(name, m, sizes.get(name))).flops, 0) +
    denseCost(layerInfo('fc', model.getModule('fc'))).flops,
};

const train = await loadFashionMnist({ split: 'train' });
const test = await loadFashionMnist({ split: 'test' });
const denseAccuracy = evaluate(engine, model, test);
console.log(
  `ResNet-8: ${totalParams} params, dense test accuracy ${denseAccuracy.toFixed(4)} (${test.count} images)`,
);

// The call sequence of the README: collector, calibrate, select with the statistics.
let started = performance.now();
const collector = selector.collector(layers.map(({ info, module }) => ({ info, module })));
await calibrate(model, [collector], tensorBatches(engine, train, CALIBRATION));
const stats = collector.statistics();
const calibrationSeconds = (performance.now() - started) / 1000;
const context = {
  engine,
  decomposition,
  layers: layers.map(({ info, weight }) => ({ info, weight })),
  stats,
};
console.log(
  `calibration on ${CALIBRATION} training images (${IMPRINT} imprint, ${CALIBRATION - IMPRINT} evaluate): ${calibrationSeconds.toFixed(1)} s`,
);

const gainSelector = lwiq({ imprintSamples: IMPRINT, score: 'gain' });
const scoresByGain = (await gainSelector.select(context, { kind: 'ratio', value: 1 })).scores;
console.log('\n| layer | channels | input proxy accuracy | proxy accuracy | gain score |');
console.log('| --- | --- | --- | --- | --- |');
for (const [l, { info }] of layers.entries()) {
  const s = stats.get(info.name) as LwiqStatistics;
  console.log(
    `| ${info.name} | ${info.outChannels} | ${(s.input as LwiqStatistics).accuracy().toFixed(4)} | ${s.accuracy().toFixed(4)} | ${scoresByGain[l].score.toFixed(4)} |`,
  );
}

interface Run {
  target: number;
  selector: string;
  knob: string;
  ranks: Record<string, number[] | 'dense'>;
  params: number;
  ratio: number;
  accuracy: number;
  selectSeconds: number;
}
const runs: Run[] = [];
for (const target of TARGETS) {
  const budget: Budget = { kind: 'ratio', value: target, scope: 'model', rest };
  const candidates: [string, () => Promise<{ selection: RankSelection; knob: string }>][] = [
    [
      'rank-budget (uniform)',
      async () => {
        const s = await rankBudget().select(context, budget);
        return { selection: s, knob: `fraction ${s.fraction.toFixed(4)}` };
      },
    ],
    [
      'lwiq (accuracy)',
      async () => {
        const s = await selector.select(context, budget);
        return { selection: s, knob: `kappa ${s.kappa.toFixed(4)}` };
      },
    ],
    [
      'lwiq (gain)',
      async () => {
        const s = await gainSelector.select(context, budget);
        return { selection: s, knob: `kappa ${s.kappa.toFixed(4)}` };
      },
    ],
  ];
  for (const [name, pick] of candidates) {
    started = performance.now();
    const { selection, knob } = await pick();
    const selectSeconds = (performance.now() - started) / 1000;
    const ranks: Run['ranks'] = {};
    for (const [j, l] of layers.entries()) {
      const entry = selection.layers[j];
      ranks[l.info.name] = entry.keptDense ? 'dense' : entry.ranks;
      if (entry.keptDense) continue;
      const factors = await decomposition.decompose(l.weight, l.info, entry.ranks);
      l.parent.replaceModule(l.child, decomposition.layer(factors, l.info, l.module.bias));
    }
    const params = model.numParameters();
    const accuracy = evaluate(engine, model, test);
    for (const l of layers) l.parent.replaceModule(l.child, l.module);
    runs.push({
      target,
      selector: name,
      knob,
      ranks,
      params,
      ratio: totalParams / params,
      accuracy,
      selectSeconds,
    });
  }
}

const names = layers.map((l) => l.info.name);
console.log(`\n| target | selector | knob | params | ratio | accuracy | ${names.join(' | ')} |`);
console.log(`| --- | --- | --- | --- | --- | --- | ${names.map(() => '---').join(' | ')} |`);
for (const r of runs) {
  const ranks = names.map((n) => (r.ranks[n] === 'dense' ? 'dense' : (r.ranks[n] as number[]).join(',')));
  console.log(
    `| ${r.target}x | ${r.selector} | ${r.knob} | ${r.params} | ${r.ratio.toFixed(3)} | ${r.accuracy.toFixed(4)} | ${ranks.join(' | ')} |`,
  );
}

mkdirSync(RESULTS, { recursive: true });
const out = fileURLToPath(new URL('resnet8.json', RESULTS));
writeFileSync(
  `${out}.tmp`,
  `${JSON.stringify(
    {
      model: 'ResNet8 (shared/models/fmnist-resnet8.safetensors)',
      decomposition: 'tucker2 (Frobenius), no fine-tuning',
      calibration: {
        source: 'bundled train',
        count: CALIBRATION,
        imprintSamples: IMPRINT,
        seconds: calibrationSeconds,
      },
      test: { source: 'bundled test', count: test.count },
      dense: { params: totalParams, accuracy: denseAccuracy },
      layers: layers.map((l, j) => ({
        name: l.info.name,
        weightShape: l.info.weightShape,
        inputProxyAccuracy: ((stats.get(l.info.name) as LwiqStatistics).input as LwiqStatistics).accuracy(),
        proxyAccuracy: (stats.get(l.info.name) as LwiqStatistics).accuracy(),
        gain: scoresByGain[j].score,
      })),
      runs,
    },
    null,
    2,
  )}\n`,
);
renameSync(`${out}.tmp`, out);
console.log(`\nwrote ${out}`);
