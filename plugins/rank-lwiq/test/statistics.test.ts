import { type CalibrationBatch, calibrate, createEngine, layerInfo, nn } from '@lowrank/core';
import { svd } from '@lowrank/svd';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LwiqStatistics, lwiq, pooledFeatures } from '../src/index.js';
import { referenceAccuracy, referenceWeights } from './reference.js';

/** Embeddings (N x C), labels 0-3, and a partition of the N samples into batches. */
const streams = fc
  .record({
    channels: fc.integer({ min: 1, max: 5 }),
    count: fc.integer({ min: 2, max: 50 }),
  })
  .chain(({ channels, count }) =>
    fc.record({
      embeddings: fc.array(
        fc.array(
          fc.integer({ min: -500, max: 500 }).map((n) => n / 100),
          { minLength: channels, maxLength: channels },
        ),
        { minLength: count, maxLength: count },
      ),
      labels: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: count, maxLength: count }),
      imprint: fc.integer({ min: 1, max: count - 1 }),
      cuts: fc.uniqueArray(fc.integer({ min: 1, max: count - 1 }), { maxLength: 6 }),
    }),
  );

describe('streaming statistics', () => {
  it('in any batching equal the batch computation (weights within 1e-12, accuracy exactly)', () => {
    fc.assert(
      fc.property(streams, ({ embeddings, labels, imprint, cuts }) => {
        const channels = embeddings[0].length;
        const stats = new LwiqStatistics('layer', channels, imprint);
        const bounds = [0, ...[...cuts].sort((a, b) => a - b), labels.length];
        for (let b = 0; b + 1 < bounds.length; b++) {
          const [from, to] = [bounds[b], bounds[b + 1]];
          stats.add(embeddings.slice(from, to).flat(), labels.slice(from, to));
        }
        expect(stats.imprinted).toBe(imprint);
        expect(stats.evaluated).toBe(labels.length - imprint);
        const expected = referenceWeights(embeddings.slice(0, imprint), labels.slice(0, imprint));
        const weights = stats.classWeights();
        expect([...weights.keys()]).toEqual([...expected.keys()]);
        for (const [label, w] of expected) {
          const got = weights.get(label) as Float64Array;
          for (let j = 0; j < channels; j++) expect(Math.abs(got[j] - w[j])).toBeLessThan(1e-12);
        }
        if (expected.size >= 2) {
          expect(stats.accuracy()).toBe(referenceAccuracy(embeddings, labels, imprint));
        }
      }),
      { seed: 11, numRuns: 200 },
    );
  });

  it('round-trip through JSON exactly, and refuse inconsistent saved statistics', () => {
    const stats = new LwiqStatistics('conv', 2, 3);
    stats.add([1, 0.5, 0, 2, -1, 0.25, 3, 3, 0.1, -7], [0, 1, 0, 1, 1]);
    const json = JSON.parse(JSON.stringify(stats));
    const loaded = LwiqStatistics.fromJSON(json);
    expect(loaded.toJSON()).toEqual(stats.toJSON());
    expect(loaded.accuracy()).toBe(stats.accuracy());
    expect(() => LwiqStatistics.fromJSON({ ...json, format: 'other' })).toThrow(/not saved LWIQ statistics/);
    expect(() => LwiqStatistics.fromJSON({ ...json, correct: json.evaluated + 1 })).toThrow(/inconsistent/);
    expect(() => LwiqStatistics.fromJSON({ ...json, imprinted: 2 })).toThrow(/inconsistent/);
  });

  it('round-trip with their input statistics through JSON exactly; without them load with no input', () => {
    const stats = new LwiqStatistics('conv', 2, 3);
    stats.add([1, 0.5, 0, 2, -1, 0.25, 3, 3, 0.1, -7], [0, 1, 0, 1, 1]);
    expect(LwiqStatistics.fromJSON(JSON.parse(JSON.stringify(stats))).input).toBeUndefined();
    stats.input = new LwiqStatistics('input of conv', 3, 3);
    stats.input.add([1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 2, 0, 1], [0, 1, 0, 1, 1]);
    const json = JSON.parse(JSON.stringify(stats));
    const loaded = LwiqStatistics.fromJSON(json);
    expect(loaded.toJSON()).toEqual(stats.toJSON());
    expect(loaded.input?.channels).toBe(3);
    expect(loaded.input?.accuracy()).toBe(stats.input.accuracy());
    expect(() => LwiqStatistics.fromJSON({ ...json, input: { ...json.input, correct: 9 } })).toThrow(
      /'input of conv' are inconsistent/,
    );
  });

  it('pools each channel over every position', () => {
    // [N=2, C=2, 1, 3]: means of (1, 2, 3), (4, 5, 6), (0, 0, 3), (-3, 0, 0).
    const pooled = pooledFeatures([1, 2, 3, 4, 5, 6, 0, 0, 3, -3, 0, 0], [2, 2, 1, 3], 'x');
    expect(Array.from(pooled)).toEqual([2, 5, 1, -1]);
    expect(Array.from(pooledFeatures([1, 2, 3, 4], [2, 2], 'fc'))).toEqual([1, 2, 3, 4]);
    expect(() => pooledFeatures([1, 2], [2], 'fc')).toThrow(/'fc'.*\[N, C, \.\.\.\]/);
  });
});

/** A two-conv model, 22 random images in batches of 5, 7, 3 and 7, labels 0-2. */
function setup() {
  const engine = createEngine({ seed: 3 });
  const conv1 = new nn.Conv2d(engine, 1, 3, 3, { padding: 1 });
  const conv2 = new nn.Conv2d(engine, 3, 4, 3, { stride: 2 });
  const model = new nn.Sequential(engine, [conv1, new nn.ReLU(engine), conv2]);
  const sizes = [5, 7, 3, 7];
  const count = sizes.reduce((a, b) => a + b, 0);
  const inputs = engine.randn([count, 1, 6, 6]);
  const labels = Array.from({ length: count }, (_, i) => (i * 7 + (i >> 2)) % 3);
  const all = inputs.dataSync();
  let start = 0;
  const batches: CalibrationBatch[] = sizes.map((n) => {
    const batch = {
      inputs: engine.fromData(all.slice(start * 36, (start + n) * 36), [n, 1, 6, 6]),
      labels: engine.fromData(Int32Array.from(labels.slice(start, start + n)), [n]),
    };
    start += n;
    return batch;
  });
  const layers = [
    { info: layerInfo('conv1', conv1, [6, 6]), module: conv1 },
    { info: layerInfo('conv2', conv2, [6, 6]), module: conv2 },
  ];
  return { engine, model, conv1, conv2, inputs, labels, batches, layers };
}

function rows(data: Float64Array, channels: number): number[][] {
  return Array.from({ length: data.length / channels }, (_, i) =>
    Array.from(data.subarray(i * channels, (i + 1) * channels)),
  );
}

describe('the collector under core calibrate', () => {
  it('gathers what the batch computation on all outputs at once gives (weights within 1e-12, accuracy exactly)', async () => {
    const { engine, model, conv1, inputs, labels, batches, layers } = setup();
    const collector = lwiq({ imprintSamples: 10 }).collector(layers);
    expect(await calibrate(model, [collector], batches)).toBe(4);
    const stats = collector.statistics() as Map<string, LwiqStatistics>;
    const out1 = engine.noGrad(() => conv1.call(inputs));
    const out2 = engine.noGrad(() => model.call(inputs));
    for (const [name, out] of [
      ['conv1', out1],
      ['conv2', out2],
    ] as const) {
      const embeddings = rows(pooledFeatures(out.dataSync(), out.shape, name), out.shape[1]);
      const s = stats.get(name) as LwiqStatistics;
      expect([s.imprinted, s.evaluated]).toEqual([10, 12]);
      // The model computes in float32 batch by batch; pooled features agree to float32 rounding.
      const expected = referenceWeights(embeddings.slice(0, 10), labels.slice(0, 10));
      for (const [label, w] of expected) {
        const got = s.classWeights().get(label) as Float64Array;
        for (let j = 0; j < w.length; j++) expect(Math.abs(got[j] - w[j])).toBeLessThan(1e-5);
      }
      expect(s.accuracy()).toBe(referenceAccuracy(embeddings, labels, 10));
    }
    expect(engine.noGrad(() => model.call(inputs)).shape).toEqual([22, 4, 2, 2]); // hooks are gone
  });

  it("imprints each layer's input classifier on its pooled input, with the same split (weights within 1e-5, accuracy exactly)", async () => {
    const { engine, model, conv1, inputs, labels, batches, layers } = setup();
    const collector = lwiq({ imprintSamples: 10 }).collector(layers);
    await calibrate(model, [collector], batches);
    const stats = collector.statistics() as Map<string, LwiqStatistics>;
    // conv1 sees the images (1 channel), conv2 the ReLU of conv1's output (3 channels).
    const in2 = engine.noGrad(() =>
      engine.tidy(() => engine.keep(new nn.ReLU(engine).call(conv1.call(inputs)))),
    );
    for (const [name, input] of [
      ['conv1', inputs],
      ['conv2', in2],
    ] as const) {
      const embeddings = rows(pooledFeatures(input.dataSync(), input.shape, name), input.shape[1]);
      const s = (stats.get(name) as LwiqStatistics).input as LwiqStatistics;
      expect([s.channels, s.imprinted, s.evaluated]).toEqual([input.shape[1], 10, 12]);
      const expected = referenceWeights(embeddings.slice(0, 10), labels.slice(0, 10));
      expect(s.classes).toEqual([...expected.keys()]);
      for (const [label, w] of expected) {
        const got = s.classWeights().get(label) as Float64Array;
        for (let j = 0; j < w.length; j++) expect(Math.abs(got[j] - w[j])).toBeLessThan(1e-5);
      }
      expect(s.accuracy()).toBe(referenceAccuracy(embeddings, labels, 10));
    }
  });

  it('names the fix when calibration batches have no labels, or a layer runs outside calibrate', async () => {
    const { engine, model, batches, layers } = setup();
    const collector = lwiq().collector(layers);
    const unlabelled = batches.map(({ inputs }) => ({ inputs }));
    await expect(calibrate(model, [collector], unlabelled)).rejects.toThrow(
      /no labels.*pass batches as \{ inputs, labels \}/,
    );
    const mismatched = [{ inputs: batches[0].inputs, labels: batches[1].labels }];
    await expect(calibrate(model, [collector], mismatched)).rejects.toThrow(
      /5 inputs and labels of shape \[7\]/,
    );
    collector.attach();
    expect(() => engine.noGrad(() => model.call(batches[0].inputs))).toThrow(
      /'conv1' ran with no labelled batch.*calibrate/,
    );
    collector.detach();
  });

  it('says that no sample was seen when select gets statistics of a collector that never ran', async () => {
    const { engine, conv1, layers } = setup();
    const selector = lwiq();
    const collector = selector.collector(layers);
    const context = {
      engine,
      decomposition: svd(),
      layers: [{ info: layers[0].info, weight: conv1.weight }],
      stats: collector.statistics(),
    };
    await expect(selector.select(context, { kind: 'ratio', value: 2 })).rejects.toThrow(
      /no calibration sample reached 'conv1'.*calibrate/,
    );
  });
});
