import { createEngine, type LayerInfo, linalg, type Tensor } from '@lowrank/core';
import { arbLayer } from '@lowrank/core/testing';
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

/** The Cholesky factor of a random well-conditioned covariance `A A^T / p + 0.1 I`. */
function randomFactor(p: number, seed: number): linalg.Matrix {
  const a = linalg.matrix(p, p, engine.randn([p, p], { dtype: 'float64', seed }).dataSync());
  const sigma = linalg.matmul(a, a, { transB: true });
  for (let i = 0; i < p * p; i++) sigma.data[i] /= p;
  for (let i = 0; i < p; i++) sigma.data[i * p + i] += 0.1;
  return linalg.cholesky(sigma).L;
}

function asMatrix(t: Tensor, rows: number): linalg.Matrix {
  return linalg.matrix(rows, t.size / rows, t.dataSync());
}

/** `‖(W - What) L‖_F`. */
function sigmaError(w: linalg.Matrix, what: linalg.Matrix, l: linalg.Matrix): number {
  return linalg.norm(linalg.matmul(linalg.sub(w, what), l));
}

describe('svd with the whitened metric (SVD-Sigma)', () => {
  it('with L = I it equals the Frobenius SVD (reconstruction, rel. 1e-8, float64)', async () => {
    await fc.assert(
      fc.asyncProperty(withRank, async ([layer, r, seed]) => {
        const w = engine.randn(layer.weightShape, { dtype: 'float64', seed });
        const p = columns(layer);
        const factor = engine.eye(p, p, 'float64');
        const plain = plugin.reconstruct(await plugin.decompose(w, layer, [r]));
        const whitened = plugin.reconstruct(
          await plugin.decompose(w, layer, [r], { metric: { kind: 'whitened', factor } }),
        );
        const a = asMatrix(plain, layer.outChannels);
        const b = asMatrix(whitened, layer.outChannels);
        expect(linalg.norm(linalg.sub(a, b))).toBeLessThanOrEqual(1e-8 * Math.max(linalg.norm(a), 1e-300));
      }),
      { numRuns: 30 },
    );
  });

  it('its Sigma error is sqrt(sum of the discarded squared singular values of W L) (rel. 1e-9) and never above the Frobenius SVD one', async () => {
    await fc.assert(
      fc.asyncProperty(withRank, async ([layer, r, seed]) => {
        const o = layer.outChannels;
        const p = columns(layer);
        const w = engine.randn(layer.weightShape, { dtype: 'float64', seed });
        const l = randomFactor(p, seed + 1);
        const factor = linalg.fromMatrix(engine, l, 'float64');
        const wMat = asMatrix(w, o);
        const sigma = asMatrix(
          plugin.reconstruct(await plugin.decompose(w, layer, [r], { metric: { kind: 'whitened', factor } })),
          o,
        );
        const frob = asMatrix(plugin.reconstruct(await plugin.decompose(w, layer, [r])), o);
        const s = linalg.svd(linalg.matmul(wMat, l)).s;
        const bruteForce = Math.sqrt(s.slice(r).reduce((acc, v) => acc + v * v, 0));
        const errSigma = sigmaError(wMat, sigma, l);
        const scale = Math.sqrt(s.reduce((acc, v) => acc + v * v, 0));
        expect(Math.abs(errSigma - bruteForce)).toBeLessThanOrEqual(1e-9 * scale);
        expect(errSigma).toBeLessThanOrEqual(sigmaError(wMat, frob, l) + 1e-9 * scale);
      }),
      { numRuns: 40 },
    );
  });

  it('the factors build the layer with svd().layer and project() returns their reconstruction (rel. 1e-12)', async () => {
    await fc.assert(
      fc.asyncProperty(withRank, async ([layer, r, seed]) => {
        const w = engine.randn(layer.weightShape, { dtype: 'float64', seed });
        const factor = linalg.fromMatrix(engine, randomFactor(columns(layer), seed + 2), 'float64');
        const metric = { kind: 'whitened' as const, factor };
        const f = await plugin.decompose(w, layer, [r], { metric });
        expect(f.s.shape).toEqual([r]);
        expect(plugin.layer(f, layer, null).typeName).toBe(
          layer.kind === 'linear' ? 'SvdLinear' : 'SvdConv2d',
        );
        const a = plugin.reconstruct(f).dataSync();
        const b = (await plugin.project(w, layer, [r], metric)).dataSync();
        const scale = Math.hypot(...a);
        let worst = 0;
        a.forEach((v, i) => {
          worst = Math.max(worst, Math.abs(v - b[i]));
        });
        expect(worst).toBeLessThanOrEqual(1e-12 * scale + 1e-300);
      }),
      { numRuns: 20 },
    );
  });
});
