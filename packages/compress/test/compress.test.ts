import { createEngine, FROBENIUS, layerInfo, measuredCost, type NormPlugin, nn } from '@lowrank/core';
import { frobenius } from '@lowrank/norm-frobenius';
import { sigma } from '@lowrank/norm-sigma';
import { tr } from '@lowrank/tr';
import { tucker2 } from '@lowrank/tucker2';
import { describe, expect, it } from 'vitest';
import { type CompressRecipe, compress, formatReport, type ProgressEvent } from '../src/index.js';
import { lenet, randomBatches, stateValues, testEngine } from './helpers.js';

function budgetRecipe(
  engine: ReturnType<typeof testEngine>,
  extra: Partial<CompressRecipe> = {},
): CompressRecipe {
  return {
    decomposition: { conv: 'tucker2', linear: 'svd' },
    norm: 'sigma',
    ranks: { selector: 'rank-budget', budget: { kind: 'ratio', value: 3, scope: 'model' } },
    calibration: randomBatches(engine, 2, 16, 100),
    ...extra,
  };
}

describe('compress', () => {
  it('reports params that add up to the compressed model, per layer and in total, and leaks no tensor', async () => {
    const engine = testEngine();
    const model = lenet(engine);
    const before = model.numParameters();
    const recipe = budgetRecipe(engine);
    const [live, denseState] = [engine.memory().tensors, model.stateDict().size];
    const { report } = await compress(engine, model, recipe);
    // The dense layers taken out and every temporary are freed: only the new weights are new.
    expect(engine.memory().tensors).toBe(live - denseState + model.stateDict().size);
    expect(report.total.model.before.params).toBe(before);
    expect(report.total.model.after.params).toBe(model.numParameters());
    for (const layer of report.layers) {
      expect(model.getModule(layer.name).numParameters(), layer.name).toBe(layer.after.params);
    }
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(report.total.layers.after.params).toBe(sum(report.layers.map((l) => l.after.params)));
    expect(report.total.layers.before.flops).toBe(sum(report.layers.map((l) => l.before.flops)));
    // The budget: at least 3x fewer params over the whole model.
    expect(report.total.model.ratio).toBeGreaterThanOrEqual(3);
    expect(report.total.model.ratio).toBeCloseTo(before / model.numParameters(), 12);
  });

  it('with the centred Sigma norm gives bias-free layers the mean-error bias and counts it in the report', async () => {
    const engine = createEngine({ seed: 0 })
      .use(tucker2())
      .use(sigma({ centred: true }));
    const conv = (i: number, o: number) => new nn.Conv2d(engine, i, o, 3, { bias: false });
    const model = new nn.Sequential(engine, [
      conv(1, 4),
      new nn.ReLU(engine),
      conv(4, 8),
      new nn.ReLU(engine),
      conv(8, 8),
    ]);
    const { report } = await compress(engine, model, {
      decomposition: 'tucker2',
      norm: 'sigma',
      ranks: { explicit: { '2': [2, 2], '4': [3, 2] } },
      calibration: randomBatches(engine, 2, 8, 7),
    });
    for (const name of ['2', '4']) {
      const layer = report.layers.find((l) => l.name === name);
      const module = model.getModule(name);
      expect(
        module.namedParameters().some(([n]) => n.endsWith('bias')),
        name,
      ).toBe(true);
      expect(module.numParameters(), name).toBe(layer?.after.params);
    }
    expect(report.total.model.after.params).toBe(model.numParameters());
  });

  it('warns, in the report and as progress, of each layer whose Sigma the calibration leaves singular, and of no other', async () => {
    const engine = testEngine();
    const events: ProgressEvent[] = [];
    // 32 images: conv2 sees 3,200 patches of 150 dims, fc1 32 rows of 400 and fc2 32 of 120.
    const { report } = await compress(
      engine,
      lenet(engine),
      budgetRecipe(engine, { onProgress: (e) => events.push(e) }),
    );
    expect(report.warnings).toHaveLength(2);
    expect(report.warnings[0]).toContain("'fc1' was calibrated on 32 input rows for 400 input dimensions");
    expect(report.warnings[1]).toContain("'fc2' was calibrated on 32 input rows for 120 input dimensions");
    expect(events.flatMap((e) => (e.type === 'warning' ? [e.message] : []))).toEqual(report.warnings);
    expect(formatReport(report)).toContain(`warnings:\n  ${report.warnings[0]}`);
  });

  it('keeps the first conv and the classifier dense by default and reports why', async () => {
    const engine = testEngine();
    const model = lenet(engine);
    const { report } = await compress(engine, model, budgetRecipe(engine));
    expect(model.getModule('conv1')).toBeInstanceOf(nn.Conv2d);
    expect(model.getModule('fc3')).toBeInstanceOf(nn.Linear);
    expect(report.layers.map((l) => l.name)).toEqual(['conv2', 'fc1', 'fc2']);
    expect(report.skipped.map((s) => s.name)).toEqual(['conv1', 'fc3']);
    for (const name of ['conv2', 'fc1', 'fc2']) {
      const m = model.getModule(name);
      expect(m instanceof nn.Conv2d || m instanceof nn.Linear, name).toBe(false);
    }
    expect(report.layers.map((l) => l.decomposition)).toEqual(['tucker2', 'svd', 'svd']);
  });

  it('reports Frobenius and Sigma errors in [0, 1) and a Sigma error under Frobenius norm too', async () => {
    const engine = testEngine();
    const { report } = await compress(engine, lenet(engine), budgetRecipe(engine, { norm: undefined }));
    expect(report.norm).toBe('frobenius');
    for (const l of report.layers) {
      expect(l.error.frobenius, l.name).toBeGreaterThan(0);
      expect(l.error.frobenius, l.name).toBeLessThan(1);
      expect(l.error.sigma, l.name).toBeGreaterThan(0);
    }
  });

  it('SVD-Sigma has a Sigma error at most that of SVD at the same ranks (within 1e-9)', async () => {
    const run = async (norm: string | undefined) => {
      const engine = testEngine();
      const recipe = budgetRecipe(engine, {
        decomposition: 'svd',
        include: [/^fc/],
        norm,
        ranks: { explicit: { fc1: 8, fc2: 6 } },
      });
      return (await compress(engine, lenet(engine), recipe)).report;
    };
    const frob = await run(undefined);
    const whitened = await run('sigma');
    for (const [j, l] of whitened.layers.entries()) {
      expect(l.error.sigma!, l.name).toBeLessThanOrEqual(frob.layers[j].error.sigma! + 1e-9);
      expect(l.error.frobenius, l.name).toBeGreaterThanOrEqual(frob.layers[j].error.frobenius - 1e-9);
    }
  });

  it("reports the params and MACs of the layer built, when the decomposition builds smaller ranks than asked (TR-SVD's clipping)", async () => {
    const engine = testEngine().use(tr());
    const model = lenet(engine);
    const asked = [3, 47, 3]; // TR-SVD builds [3, 36, 3]: fc2's unfoldings allow no more
    const { report } = await compress(engine, model, {
      decomposition: { linear: 'tr' },
      include: ['fc2'],
      ranks: { explicit: { fc2: asked } },
      inputShape: [1, 28, 28],
    });
    const [fc2] = report.layers;
    const dense = layerInfo('fc2', new nn.Linear(engine, 120, 84));
    expect(fc2.after).toEqual(measuredCost(model.getModule('fc2'), dense));
    expect(fc2.after.flops).toBeLessThan(tr().cost(dense, asked).flops);
  });

  it('rejects explicit ranks out of bounds with an error naming the layer, leaving the model as it was', async () => {
    const engine = testEngine();
    const model = lenet(engine);
    const values = stateValues(model);
    const recipe = budgetRecipe(engine, { ranks: { explicit: { conv2: [99, 2], fc1: 10, fc2: 10 } } });
    await expect(compress(engine, model, recipe)).rejects.toThrow(/'conv2'.*\[1, 16\]/);
    await expect(
      compress(engine, model, budgetRecipe(engine, { ranks: { explicit: { fc1: 10, fc2: 10 } } })),
    ).rejects.toThrow(/no explicit ranks for 'conv2'/);
    expect(stateValues(model)).toEqual(values);
  });

  it('leaves the model unchanged (modules, weights, no leaked tensors) when one layer fails to decompose', async () => {
    const engine = testEngine();
    const svd = engine.plugins.get('decomposition', 'svd');
    engine.use({
      ...svd,
      name: 'svd-failing-on-fc2',
      async decompose(weight, layer, ranks, options) {
        if (layer.name === 'fc2') throw new Error('injected failure');
        return svd.decompose(weight, layer, ranks, options);
      },
    });
    const model = lenet(engine);
    const modules = new Map(model.namedModules());
    const values = stateValues(model);
    const recipe = budgetRecipe(engine, { decomposition: { conv: 'tucker2', linear: 'svd-failing-on-fc2' } });
    const live = engine.memory().tensors;
    await expect(compress(engine, model, recipe)).rejects.toThrow(/'fc2'.*injected failure/);
    expect(new Map(model.namedModules())).toEqual(modules);
    for (const [name, m] of model.namedModules()) expect(m, name).toBe(modules.get(name));
    expect(stateValues(model)).toEqual(values);
    expect(engine.memory().tensors).toBe(live);
  });

  it('puts the dense layers and weights back when fine-tuning fails', async () => {
    const engine = testEngine();
    const model = lenet(engine);
    const modules = model.namedModules();
    const values = stateValues(model);
    const unlabelled = randomBatches(engine, 2, 8, 5).map(({ inputs }) => ({ inputs }));
    const recipe = budgetRecipe(engine, {
      fineTune: { data: [...randomBatches(engine, 1, 8, 3), ...unlabelled] },
    });
    await expect(compress(engine, model, recipe)).rejects.toThrow(/batch 2 of epoch 1 has no labels/);
    expect(model.namedModules()).toEqual(modules);
    expect(stateValues(model)).toEqual(values);
  });

  it('emits progress events in step order, with batches and layers numbered in order', async () => {
    const engine = testEngine();
    const events: ProgressEvent[] = [];
    const recipe = budgetRecipe(engine, {
      evaluation: randomBatches(engine, 2, 8, 7),
      fineTune: { data: randomBatches(engine, 3, 8, 9), epochs: 2 },
      onProgress: (e) => events.push(e),
    });
    await compress(engine, lenet(engine), recipe);
    const steps = events.filter((e) => e.type === 'step-start').map((e) => e.step);
    expect(steps).toEqual([
      'select-layers',
      'evaluate-before',
      'calibrate',
      'select-ranks',
      'decompose',
      'replace',
      'evaluate-after',
      'fine-tune',
      'evaluate-fine-tuned',
    ]);
    // Every step ends before the next starts.
    const bounds = events.filter((e) => e.type === 'step-start' || e.type === 'step-end');
    expect(bounds.map((e) => `${e.type} ${e.step}`)).toEqual(
      steps.flatMap((step) => [`step-start ${step}`, `step-end ${step}`]),
    );
    const batches = (step: string) =>
      events.flatMap((e) => (e.type === 'batch' && e.step === step ? [[e.epoch, e.batch]] : []));
    expect(batches('calibrate')).toEqual([
      [undefined, 1],
      [undefined, 2],
    ]);
    expect(batches('fine-tune')).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
      [2, 1],
      [2, 2],
      [2, 3],
    ]);
    const layers = events.flatMap((e) => (e.type === 'layer' ? [`${e.index}/${e.count} ${e.layer}`] : []));
    expect(layers).toEqual(['0/3 conv2', '1/3 fc1', '2/3 fc2']);
    expect(events.filter((e) => e.type === 'epoch').map((e) => e.type === 'epoch' && e.epoch)).toEqual([
      1, 2,
    ]);
  });

  it('gives identical reports and weights for the same seed', async () => {
    const run = async () => {
      const engine = testEngine(3);
      const model = lenet(engine);
      const recipe = budgetRecipe(engine, {
        seed: 11,
        evaluation: randomBatches(engine, 1, 8, 7),
        fineTune: { data: randomBatches(engine, 2, 8, 9) },
      });
      const { report } = await compress(engine, model, recipe);
      const timeless = {
        ...report,
        seconds: 0,
        layers: report.layers.map((l) => ({ ...l, seconds: 0 })),
      };
      return { report: timeless, values: stateValues(model) };
    };
    const [a, b] = [await run(), await run()];
    expect(b.report).toEqual(a.report);
    expect(b.values).toEqual(a.values);
  });

  it('reports accuracy before, after and fine-tuned without leaking tensors, and formats every layer and total', async () => {
    const engine = testEngine();
    const recipe = budgetRecipe(engine, {
      evaluation: randomBatches(engine, 2, 8, 7),
      fineTune: { data: randomBatches(engine, 2, 8, 9), evaluation: undefined },
    });
    const model = lenet(engine);
    const [live, denseState] = [engine.memory().tensors, model.stateDict().size];
    const { report } = await compress(engine, model, recipe);
    // Fine-tuning (optimizer state, distillation terms, snapshot) leaves nothing behind.
    expect(engine.memory().tensors).toBe(live - denseState + model.stateDict().size);
    expect(report.accuracy?.before).toBeGreaterThanOrEqual(0);
    expect(report.accuracy?.fineTuned).toBeLessThanOrEqual(1);
    expect(report.fineTune?.epochs).toHaveLength(1);
    const text = formatReport(report);
    for (const name of [
      'conv2',
      'fc1',
      'fc2',
      'conv1',
      'fc3',
      'whole model',
      'compressed layers',
      'accuracy',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toContain(`${report.total.model.before.params} -> ${report.total.model.after.params}`);
  });

  it('needs calibration data for the Sigma norm and input sizes for conv FLOPs', async () => {
    const engine = testEngine();
    const model = lenet(engine);
    await expect(compress(engine, model, budgetRecipe(engine, { calibration: undefined }))).rejects.toThrow(
      /'sigma' norm needs calibration data; pass recipe.calibration, or use a norm that needs none/,
    );
    await expect(
      compress(engine, model, budgetRecipe(engine, { calibration: undefined, norm: undefined })),
    ).rejects.toThrow(/inputShape/);
    const { report } = await compress(
      engine,
      model,
      budgetRecipe(engine, { calibration: undefined, norm: undefined, inputShape: [1, 28, 28] }),
    );
    expect(report.layers[0].before.flops).toBe(16 * 6 * 25 * 10 * 10);
    expect(report.layers[0].error.sigma).toBeUndefined();
  });

  it('runs a norm plugin that says needsCalibration: false without calibration data, asking its metric with no statistics', async () => {
    const asked: [string, unknown][] = [];
    const engine = testEngine().use(
      plainNorm({
        needsCalibration: false,
        metric: (layer, stats) => {
          asked.push([layer.name, stats]);
          return FROBENIUS;
        },
      }),
    );
    const { report } = await compress(
      engine,
      lenet(engine),
      budgetRecipe(engine, { calibration: undefined, norm: 'plain', inputShape: [1, 28, 28] }),
    );
    expect(report.norm).toBe('plain');
    expect(report.calibrationBatches).toBe(0);
    expect(asked).toEqual(report.layers.map((l) => [l.name, undefined]));
  });

  it('refuses a norm plugin that does not say needsCalibration: false when given no calibration data, naming the norm and the fix', async () => {
    for (const needsCalibration of [undefined, true]) {
      const engine = testEngine().use(plainNorm({ needsCalibration }));
      const model = lenet(engine);
      const before = stateValues(model);
      await expect(
        compress(
          engine,
          model,
          budgetRecipe(engine, { calibration: undefined, norm: 'plain', inputShape: [1, 28, 28] }),
        ),
      ).rejects.toThrow(
        "compress: the 'plain' norm needs calibration data; pass recipe.calibration, or use a norm that needs none (such as 'frobenius')",
      );
      expect(stateValues(model)).toEqual(before);
    }
  });

  it("with @lowrank/norm-frobenius registered, norm 'frobenius' needs no calibration data and gives the built-in default's report and weights (exact)", async () => {
    const run = async (register: boolean) => {
      const engine = testEngine();
      if (register) engine.use(frobenius());
      const model = lenet(engine);
      const { report } = await compress(
        engine,
        model,
        budgetRecipe(engine, { calibration: undefined, norm: 'frobenius', inputShape: [1, 28, 28] }),
      );
      const timeless = { ...report, seconds: 0, layers: report.layers.map((l) => ({ ...l, seconds: 0 })) };
      return { report: timeless, values: stateValues(model) };
    };
    const [plugin, builtIn] = [await run(true), await run(false)];
    expect(plugin.report.norm).toBe('frobenius');
    expect(plugin).toEqual(builtIn);
  });
});

/** A norm plugin named 'plain' with the Frobenius metric; `collector` must not be reached without data. */
function plainNorm(overrides: Partial<NormPlugin>): NormPlugin {
  return {
    kind: 'norm',
    name: 'plain',
    collector: () => ({ attach() {}, detach() {}, statistics: () => new Map() }),
    metric: () => FROBENIUS,
    ...overrides,
  };
}
