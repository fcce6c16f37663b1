import { createEngine, type DecomposeOptions, denseCost, type LayerInfo, linalg } from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cp } from '../src/index.js';
import { convLayers, disposeFactors, linearLayers, relativeDifference } from './helpers.js';

const engine = createEngine({ seed: 2 });
const plugin = cp();
const conv = convLayer('layer1.0.conv1', 6, 5, [3, 3], { padding: [1, 1, 1, 1] });

describe('cp plugin', () => {
  it('registers as the decomposition plugin named cp', () => {
    const e = createEngine().use(cp());
    expect(e.plugins.get('decomposition', 'cp').name).toBe('cp');
  });

  it('the rank bound is the largest rank whose factors are no bigger than the dense weight (at least 1)', () => {
    fc.assert(
      fc.property(fc.oneof(linearLayers, convLayers), (layer: LayerInfo) => {
        const spec = plugin.rankSpec(layer);
        expect(spec.labels).toEqual(['R']);
        expect(spec.min).toEqual([1]);
        const max = spec.max[0];
        const weights = (r: number) => plugin.cost(layer, [r]).params - (layer.bias ? layer.outChannels : 0);
        const dense = denseCost(layer).params - (layer.bias ? layer.outChannels : 0);
        expect(max).toBeGreaterThanOrEqual(1);
        if (max > 1) expect(weights(max)).toBeLessThanOrEqual(dense);
        expect(weights(max + 1)).toBeGreaterThan(dense);
      }),
    );
  });

  it('decomposes at the bound itself (rank 15 for a 6x5x3x3 kernel) and returns that many components', async () => {
    const max = plugin.rankSpec(conv).max[0];
    expect(max).toBe(15); // floor(270 / 17)
    const f = await plugin.decompose(engine.randn(conv.weightShape, { dtype: 'float64' }), conv, [max], {
      maxIterations: 3,
    });
    expect(f.lambda.shape).toEqual([max]);
    expect(f.factors.map((t) => t.shape)).toEqual([
      [6, max],
      [5, max],
      [3, max],
      [3, max],
    ]);
    disposeFactors(f);
  });

  it('project(w) equals reconstruct(decompose(w)) (exactly, same default options)', async () => {
    const w = engine.randn(conv.weightShape, { dtype: 'float64' });
    const projected = await plugin.project(w, conv, [4]);
    const f = await plugin.decompose(w, conv, [4]);
    const reconstructed = plugin.reconstruct(f);
    expect(projected.shape).toEqual(conv.weightShape);
    expect(Array.from(projected.dataSync())).toEqual(Array.from(reconstructed.dataSync()));
    disposeFactors(f);
  });

  it("passes onIteration and the ALS options through, and method 'deflation' runs the greedy baseline", async () => {
    const w = engine.randn(conv.weightShape, { dtype: 'float64' });
    const als: number[] = [];
    const fa = await plugin.decompose(w, conv, [5], {
      maxIterations: 7,
      tolerance: 0,
      onIteration: (_i, e) => als.push(e),
    });
    expect(als.length).toBe(7);
    const terms: number[] = [];
    const fd = await plugin.decompose(w, conv, [5], {
      method: 'deflation',
      onIteration: (_i, e) => terms.push(e),
    });
    expect(terms.length).toBe(5);
    const x = Float64Array.from(w.dataSync());
    expect(relativeDifference(x, plugin.reconstruct(fd).dataSync())).toBeCloseTo(terms[4], 10);
    expect(relativeDifference(x, plugin.reconstruct(fa).dataSync())).toBeCloseTo(als[6], 10);
    disposeFactors(fa);
    disposeFactors(fd);
  });

  it('decompose, layer, project and reconstruct leave nothing allocated once their results are disposed', async () => {
    const w = engine.randn(conv.weightShape, { dtype: 'float64' });
    const bias = engine.randn([6], { dtype: 'float64' });
    const before = engine.memory();
    const f = await plugin.decompose(w, conv, [3], { lineSearch: true });
    const module = plugin.layer(f, conv, bias);
    engine.noGrad(() =>
      engine.tidy(() => {
        module.call(engine.randn([1, 5, 7, 8], { dtype: 'float64' }));
      }),
    );
    (await plugin.project(w, conv, [3])).dispose();
    plugin.reconstruct(f).dispose();
    module.dispose();
    disposeFactors(f);
    expect(engine.memory()).toEqual(before);
  });

  it('the factors have unit columns and non-negative weights', async () => {
    const f = await plugin.decompose(engine.randn(conv.weightShape, { dtype: 'float64' }), conv, [4]);
    expect(Array.from(f.lambda.dataSync()).every((l) => l >= 0)).toBe(true);
    for (const t of f.factors) {
      const m = await linalg.toMatrix(t);
      for (let j = 0; j < m.cols; j++) expect(linalg.vecNorm(m.data, j, m.rows, m.cols)).toBeCloseTo(1, 12);
    }
    disposeFactors(f);
  });
});

describe('cp errors name the layer', () => {
  const w = () => engine.randn(conv.weightShape, { dtype: 'float64' });

  it('refuses a grouped conv in supports() and decompose(), saying why', async () => {
    const grouped = convLayer('features.3', 4, 4, [3, 3], { groups: 2 });
    const support = plugin.supports(grouped);
    expect(support.ok).toBe(false);
    if (!support.ok) expect(support.reason).toMatch(/groups = 2/);
    await expect(plugin.decompose(engine.randn(grouped.weightShape), grouped, [1])).rejects.toThrow(
      /features\.3.*groups = 2/,
    );
  });

  it('rejects ranks below 1, above the bound, non-integer or of the wrong count, naming the rank and the bound', async () => {
    for (const ranks of [[0], [16], [2.5], [2, 2], []]) {
      await expect(plugin.decompose(w(), conv, ranks), `[${ranks}]`).rejects.toThrow(/layer1\.0\.conv1/);
    }
    await expect(plugin.decompose(w(), conv, [16])).rejects.toThrow(/R = 16.*\[1, 15\]/);
  });

  it('rejects NaN and infinite weights', async () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const data = Float64Array.from(w().dataSync());
      data[7] = bad;
      await expect(plugin.decompose(engine.fromData(data, conv.weightShape), conv, [2])).rejects.toThrow(
        /layer1\.0\.conv1.*finite/,
      );
    }
  });

  it('rejects a weight whose shape differs from the layer info', async () => {
    await expect(plugin.decompose(engine.randn([6, 5, 3, 2]), conv, [2])).rejects.toThrow(/layer1\.0\.conv1/);
  });

  it('declares the Frobenius and whitened metrics and refuses the weighted one, naming the layer', async () => {
    expect(plugin.metrics).toEqual(['frobenius', 'whitened']);
    const weights = engine.ones(conv.weightShape);
    await expect(plugin.decompose(w(), conv, [2], { metric: { kind: 'weighted', weights } })).rejects.toThrow(
      /weighted.*layer1\.0\.conv1.*decomposeWithMetric/,
    );
    await expect(plugin.decompose(w(), conv, [2], { metric: { kind: 'frobenius' } })).resolves.toBeDefined();
  });

  it('rejects unknown or malformed options, naming the option and the layer', async () => {
    const malformed: Record<string, unknown>[] = [
      { method: 'hosvd' },
      { init: 'zeros' },
      { maxIterations: 0 },
      { maxIterations: 2.5 },
      { tolerance: -1 },
      { lineSearch: 'yes' },
      { starts: 0 },
      { seed: 0.5 },
      { onIteration: 3 },
      { warmStart: 1 },
      { solver: 'lu' },
    ];
    for (const options of malformed) {
      const name = Object.keys(options)[0];
      await expect(plugin.decompose(w(), conv, [2], options as DecomposeOptions), name).rejects.toThrow(
        new RegExp(`${name}.*layer1\\.0\\.conv1`),
      );
    }
  });

  it('a linear layer takes a single rank up to floor(O I / (O + I))', async () => {
    const fc1 = linearLayer('fc1', 120, 400);
    expect(plugin.rankSpec(fc1).max).toEqual([92]);
    await expect(plugin.decompose(engine.randn([120, 400]), fc1, [93])).rejects.toThrow(/fc1.*\[1, 92\]/);
  });
});
