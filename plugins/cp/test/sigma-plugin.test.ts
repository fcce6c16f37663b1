import {
  conv2d,
  createEngine,
  type LayerInfo,
  linalg,
  type Metric,
  matmul,
  reshape,
  type Tensor,
} from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CpFactors, cp } from '../src/index.js';
import { convLayers, disposeFactors, linearLayers, randomWhitening, sigmaError } from './helpers.js';

const engine = createEngine({ seed: 11 });
const plugin = cp();
const seeds = fc.integer({ min: 0, max: 2 ** 31 - 1 });

const patchSize = (layer: LayerInfo) => layer.weightShape.slice(1).reduce((a, d) => a * d, 1);

function whitened(l: linalg.Matrix): Metric & { kind: 'whitened' } {
  return { kind: 'whitened', factor: engine.keep(linalg.fromMatrix(engine, l, 'float64')) };
}

async function reconstruction(f: CpFactors): Promise<Float64Array> {
  const t = plugin.reconstruct(f);
  const data = Float64Array.from(await t.data());
  t.dispose();
  return data;
}

describe('cp plugin, whitened metric (CP-ALS-Sigma)', () => {
  it("the Sigma error is never above the Frobenius fit's at the same rank and options, linear and conv layers (1e-9 relative, 1e-12 absolute)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(linearLayers, convLayers),
        fc.integer({ min: 1, max: 4 }),
        seeds,
        async (layer, r, seed) => {
          const rank = Math.min(r, plugin.rankSpec(layer).max[0]);
          const l = randomWhitening(patchSize(layer), seed);
          const metric = whitened(l);
          const w = engine.randn(layer.weightShape, { dtype: 'float64' });
          const wData = await w.data();
          const options = { maxIterations: 20, seed };
          const frobenius = await plugin.decompose(w, layer, [rank], options);
          const sigma = await plugin.decompose(w, layer, [rank], { ...options, metric });
          const before = sigmaError(wData, await reconstruction(frobenius), l);
          const after = sigmaError(wData, await reconstruction(sigma), l);
          expect(after).toBeLessThanOrEqual(before * (1 + 1e-9) + 1e-12);
          disposeFactors(frobenius);
          disposeFactors(sigma);
          w.dispose();
          metric.factor.dispose();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('onIteration reports ‖(W - What) L‖ / ‖W L‖ of the returned factors (1e-9), which keep the contract: weight dtype, lambda >= 0, unit columns', async () => {
    const layer = convLayer('features.conv2', 6, 4, [3, 2], { padding: [1, 1, 0, 1] });
    const l = randomWhitening(patchSize(layer), 3);
    const metric = whitened(l);
    for (const dtype of ['float32', 'float64'] as const) {
      const w = engine.randn(layer.weightShape, { dtype });
      const trace: number[] = [];
      const f = await plugin.decompose(w, layer, [5], { metric, onIteration: (_i, e) => trace.push(e) });
      expect(trace.length).toBeGreaterThan(0);
      const last = trace[trace.length - 1];
      const wData = await w.data();
      const tolerance = dtype === 'float64' ? 1e-9 : 1e-5;
      expect(Math.abs(sigmaError(wData, await reconstruction(f), l) - last)).toBeLessThan(tolerance);
      expect(f.lambda.dtype).toBe(dtype);
      expect(f.factors.every((t) => t.dtype === dtype)).toBe(true);
      const lambda = Array.from(await f.lambda.data());
      expect(lambda.every((v) => v >= 0)).toBe(true);
      for (const t of f.factors) {
        const m = await linalg.toMatrix(t);
        for (let r = 0; r < m.cols; r++) expect(linalg.vecNorm(m.data, r, m.rows, m.cols)).toBeCloseTo(1, 5);
      }
      disposeFactors(f);
      w.dispose();
    }
    metric.factor.dispose();
  });

  it('project honours the metric: it equals reconstruct(decompose(w, { metric })) exactly', async () => {
    const layer = linearLayer('classifier.fc1', 7, 9);
    const metric = whitened(randomWhitening(9, 4));
    const w = engine.randn(layer.weightShape, { dtype: 'float64' });
    const projected = await plugin.project(w, layer, [3], metric);
    const f = await plugin.decompose(w, layer, [3], { metric });
    expect(Array.from(await projected.data())).toEqual(Array.from(await reconstruction(f)));
    const frobenius = await plugin.project(w, layer, [3]);
    expect(Array.from(await projected.data())).not.toEqual(Array.from(await frobenius.data()));
    disposeFactors(f);
    for (const t of [projected, frobenius, w, metric.factor]) t.dispose();
  });

  it('functional identity: on inputs x ~ N(0, Sigma) the mean squared output difference of the factorized conv equals ‖(W - What) L‖^2 (within 15%, over 6 standard deviations for 4,000 samples)', async () => {
    // An input exactly one patch large: the conv output is W_mat x per sample, x = L g.
    const layer = convLayer('features.conv', 4, 3, [3, 3], { inputSize: [3, 3] });
    const p = patchSize(layer);
    const samples = 4000;
    for (const seed of [1, 2, 3]) {
      const l = randomWhitening(p, seed);
      const metric = whitened(l);
      const w = engine.keep(engine.randn(layer.weightShape, { dtype: 'float64' }));
      const bias = engine.keep(engine.randn([layer.outChannels], { dtype: 'float64' }));
      const f = await plugin.decompose(w, layer, [3], { metric });
      const module = plugin.layer(f, layer, bias);
      const error = linalg.sub(
        linalg.matrix(4, p, await w.data()),
        linalg.matrix(4, p, await reconstruction(f)),
      );
      const expected = linalg.norm(linalg.matmul(error, l)) ** 2;
      const measured = engine.noGrad(() =>
        engine.tidy(() => {
          const g = engine.randn([samples, p], { dtype: 'float64' });
          const x = reshape(matmul(g, metric.factor, { transB: true }), [
            samples,
            ...layer.weightShape.slice(1),
          ]);
          const diff = conv2d(x, w, bias).sub(module.call(x) as Tensor);
          return diff.mul(diff).sum().itemSync() / samples;
        }),
      );
      expect(Math.abs(measured - expected)).toBeLessThanOrEqual(0.15 * expected);
      module.dispose();
      disposeFactors(f);
      for (const t of [w, bias, metric.factor]) t.dispose();
    }
  });

  it('refuses a whitening factor of the wrong size or with non-finite entries, and the deflation method, naming the layer', async () => {
    const layer = convLayer('layer2.conv', 6, 5, [3, 3]);
    const w = engine.randn(layer.weightShape, { dtype: 'float64' });
    const wrong = engine.eye(44, 44, 'float64');
    await expect(
      plugin.decompose(w, layer, [2], { metric: { kind: 'whitened', factor: wrong } }),
    ).rejects.toThrow(/'layer2\.conv' is \[44, 44\]; it must be P x P = 45 x 45 \(P = 5\*3\*3/);
    const fc1 = linearLayer('fc1', 3, 8);
    await expect(
      plugin.decompose(engine.randn([3, 8]), fc1, [2], { metric: { kind: 'whitened', factor: wrong } }),
    ).rejects.toThrow(/'fc1' is \[44, 44\]; it must be P x P = 8 x 8 \(P = 8, the layer's input size/);
    const data = new Float64Array(45 * 45);
    data[3] = Number.NaN;
    const nan = engine.fromData(data, [45, 45]);
    await expect(
      plugin.decompose(w, layer, [2], { metric: { kind: 'whitened', factor: nan } }),
    ).rejects.toThrow(/'layer2\.conv' has NaN at \(0, 3\)/);
    const eye = engine.eye(45, 45, 'float64');
    await expect(
      plugin.decompose(w, layer, [2], { method: 'deflation', metric: { kind: 'whitened', factor: eye } }),
    ).rejects.toThrow(/deflation.*no Sigma variant/);
    for (const t of [w, wrong, nan, eye]) t.dispose();
  });
});
