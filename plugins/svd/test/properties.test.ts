import { createEngine, type LayerInfo, linalg, norm, sub, type Tensor } from '@lowrank/core';
import { arbLayer, linearLayer } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { svd } from '../src/index.js';

const layers = arbLayer();
const engine = createEngine();
const plugin = svd();
const seeds = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const columns = (layer: LayerInfo) => layer.weightShape.slice(1).reduce((a, d) => a * d, 1);
const withRank = layers.chain((layer) =>
  fc.tuple(fc.constant(layer), fc.integer({ min: 1, max: plugin.rankSpec(layer).max[0] }), seeds),
);

function errorNorm(a: Tensor, b: Tensor): number {
  return engine.tidy(() => norm(sub(a, b)).itemSync());
}

/** An O x P matrix with the given singular values (decreasing) and random singular vectors. */
function withSingularValues(o: number, p: number, sigma: readonly number[], seed: number): linalg.Matrix {
  const k = sigma.length;
  const orthonormal = (n: number, s: number) =>
    linalg.qr(linalg.matrix(n, k, engine.randn([n, k], { dtype: 'float64', seed: s }).dataSync())).Q;
  const u = linalg.scaleCols(orthonormal(o, seed), sigma);
  return linalg.matmul(u, orthonormal(p, seed + 1), { transB: true });
}

describe('svd properties', () => {
  it('the truncation error equals sqrt(sum of the discarded squared singular values) and s equals the leading ones (rel. 1e-9)', async () => {
    await fc.assert(
      fc.asyncProperty(withRank, async ([layer, r, seed]) => {
        const k = Math.min(layer.outChannels, columns(layer));
        // Well separated singular values in [0.1, 10], so the expected ones are known exactly.
        const sigma = Array.from({ length: k }, (_, i) => 10 * 0.1 ** (i / Math.max(k - 1, 1)));
        const m = withSingularValues(layer.outChannels, columns(layer), sigma, seed);
        const w = engine.fromData(m.data, layer.weightShape);
        const f = await plugin.decompose(w, layer, [r]);
        const err = errorNorm(w, plugin.reconstruct(f));
        const expected = Math.sqrt(sigma.slice(r).reduce((a, s) => a + s * s, 0));
        const scale = Math.hypot(...sigma);
        expect(Math.abs(err - expected)).toBeLessThanOrEqual(1e-9 * scale);
        const s = f.s.dataSync();
        for (let i = 0; i < r; i++) expect(Math.abs(s[i] - sigma[i])).toBeLessThanOrEqual(1e-9 * sigma[i]);
      }),
      { numRuns: 40 },
    );
  });

  it('the error at rank r equals the Eckart-Young optimum of a dense linalg.svd of W_mat (rel. to ||W|| 1e-9)', async () => {
    await fc.assert(
      fc.asyncProperty(withRank, async ([layer, r, seed]) => {
        const w = engine.randn(layer.weightShape, { dtype: 'float64', seed });
        const wMat = linalg.matrix(layer.outChannels, columns(layer), w.dataSync());
        const { s } = linalg.svd(wMat);
        const optimum = Math.sqrt(s.slice(r).reduce((a, v) => a + v * v, 0));
        const err = errorNorm(w, plugin.reconstruct(await plugin.decompose(w, layer, [r])));
        expect(Math.abs(err - optimum)).toBeLessThanOrEqual(1e-9 * linalg.norm(wMat));
      }),
      { numRuns: 40 },
    );
  });

  it('the singular values are split evenly: u^T u = diag(s) = v v^T (abs. 1e-9 * s_1)', async () => {
    await fc.assert(
      fc.asyncProperty(withRank, async ([layer, r, seed]) => {
        const w = engine.randn(layer.weightShape, { dtype: 'float64', seed });
        const f = await plugin.decompose(w, layer, [r]);
        const s = f.s.dataSync();
        const u = linalg.matrix(layer.outChannels, r, f.u.dataSync());
        const v = linalg.matrix(r, columns(layer), f.v.dataSync());
        for (const g of [linalg.gram(u, 'AtA'), linalg.gram(v, 'AAt')]) {
          for (let i = 0; i < r; i++) {
            for (let j = 0; j < r; j++) {
              expect(Math.abs(g.data[i * r + j] - (i === j ? s[i] : 0))).toBeLessThanOrEqual(1e-9 * s[0]);
            }
          }
        }
        for (let i = 1; i < r; i++) expect(s[i]).toBeLessThanOrEqual(s[i - 1]);
      }),
      { numRuns: 30 },
    );
  });

  it('project(w) equals reconstruct(decompose(w)) exactly', async () => {
    await fc.assert(
      fc.asyncProperty(withRank, async ([layer, r, seed]) => {
        const w = engine.randn(layer.weightShape, { dtype: 'float64', seed });
        const projected = await plugin.project(w, layer, [r]);
        const reconstructed = plugin.reconstruct(await plugin.decompose(w, layer, [r]));
        expect(projected.shape).toEqual(layer.weightShape);
        expect(Array.from(projected.dataSync())).toEqual(Array.from(reconstructed.dataSync()));
      }),
      { numRuns: 20 },
    );
  });

  it('a very wide unfolding (3 x 36864, a 4096-channel 3x3 conv) decomposes without forming a P x P matrix', async () => {
    const layer: LayerInfo = {
      ...linearLayer('head', 3, 36864),
      kind: 'conv2d',
      weightShape: [3, 4096, 3, 3],
      inChannels: 4096,
      kernel: [3, 3],
    };
    const w = engine.randn(layer.weightShape, { dtype: 'float64', seed: 5 });
    const f = await plugin.decompose(w, layer, [2]);
    expect(f.u.shape).toEqual([3, 2]);
    expect(f.v.shape).toEqual([2, 36864]);
  });

  it('float32 weights give float32 factors and a float32 layer within float32 rounding of the dense one (rel. 1e-5)', async () => {
    const layer = linearLayer('fc1', 6, 10);
    const w = engine.randn([6, 10], { seed: 3 });
    const f = await plugin.decompose(w, layer, [6]);
    expect([f.u.dtype, f.v.dtype, f.s.dtype]).toEqual(['float32', 'float32', 'float32']);
    expect(errorNorm(w, plugin.reconstruct(f)) / engine.tidy(() => norm(w).itemSync())).toBeLessThan(1e-5);
    const bias = engine.randn([6], { seed: 4 });
    const x = engine.randn([2, 10], { seed: 5 });
    const y = plugin.layer(f, layer, bias).call(x);
    expect(y.dtype).toBe('float32');
    const dense = engine.tidy(() => x.matmul(w.transpose()).add(bias));
    expect(errorNorm(y, dense) / engine.tidy(() => norm(dense).itemSync())).toBeLessThan(1e-5);
  });
});
