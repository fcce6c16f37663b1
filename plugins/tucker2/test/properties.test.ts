import { createEngine, einsum, type LayerInfo, linalg, matmul, norm, sub, type Tensor } from '@lowrank/core';
import { arbConvLayer, arbLinearLayer, convLayer, linearLayer } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Tucker2Factors, tucker2 } from '../src/index.js';

const linearLayers = arbLinearLayer();
const convLayers = arbConvLayer();
const layers = fc.oneof(linearLayers, convLayers);
const engine = createEngine();
const plugin = tucker2();
const seeds = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const kernelPositions = (layer: LayerInfo) => layer.weightShape.slice(2).reduce((a, d) => a * d, 1);
const withRanks = (arb: fc.Arbitrary<LayerInfo>) =>
  arb.chain((layer) => {
    const { max } = plugin.rankSpec(layer);
    return fc.tuple(
      fc.constant(layer),
      fc.tuple(fc.integer({ min: 1, max: max[0] }), fc.integer({ min: 1, max: max[1] })),
      seeds,
    );
  });

const relative = (a: Tensor, b: Tensor) => engine.tidy(() => norm(sub(a, b)).itemSync() / norm(b).itemSync());
const randomWeight = (layer: LayerInfo, seed: number) =>
  engine.randn(layer.weightShape, { dtype: 'float64', seed });

/** Largest entry of |A^T A - I|. */
function orthonormalityDefect(t: Tensor): number {
  const [n, r] = t.shape;
  const g = linalg.gram(linalg.matrix(n, r, t.dataSync()), 'AtA');
  return Math.max(...g.data.map((x, k) => Math.abs(x - (k % (r + 1) === 0 ? 1 : 0))));
}

/** A random r x r orthogonal matrix. */
function orthogonal(r: number, seed: number): Tensor {
  const q = linalg.qr(linalg.matrix(r, r, engine.randn([r, r], { dtype: 'float64', seed }).dataSync())).Q;
  return linalg.fromMatrix(engine, q, 'float64');
}

describe('tucker2 properties', () => {
  it('U and V have orthonormal columns (|U^T U - I|, |V^T V - I| <= 1e-10)', async () => {
    await fc.assert(
      fc.asyncProperty(withRanks(layers), async ([layer, ranks, seed]) => {
        const f = await plugin.decompose(randomWeight(layer, seed), layer, ranks);
        expect(orthonormalityDefect(f.u)).toBeLessThanOrEqual(1e-10);
        expect(orthonormalityDefect(f.v)).toBeLessThanOrEqual(1e-10);
      }),
      { numRuns: 40 },
    );
  });

  it('the HOOI error is at most the HOSVD error (+1e-12), and the reported error is the true relative error (abs. 1e-9)', async () => {
    await fc.assert(
      fc.asyncProperty(withRanks(convLayers), async ([layer, ranks, seed]) => {
        const w = randomWeight(layer, seed);
        const hosvd = relative(
          plugin.reconstruct(await plugin.decompose(w, layer, ranks, { maxIterations: 0 })),
          w,
        );
        const trace: number[] = [];
        const f = await plugin.decompose(w, layer, ranks, { onIteration: (_i, e) => trace.push(e) });
        const hooi = relative(plugin.reconstruct(f), w);
        expect(hooi).toBeLessThanOrEqual(hosvd + 1e-12);
        expect(Math.abs(trace[0] - hosvd)).toBeLessThanOrEqual(1e-9);
        expect(Math.abs(trace[trace.length - 1] - hooi)).toBeLessThanOrEqual(1e-9);
      }),
      { numRuns: 40 },
    );
  });

  it('a weight of multilinear rank (R1, R2) is recovered at those ranks by the HOSVD alone (rel. 1e-9)', async () => {
    const consistent = withRanks(convLayers).filter(([layer, [r1, r2]]) => {
      const k = kernelPositions(layer);
      return r1 <= r2 * k && r2 <= r1 * k;
    });
    await fc.assert(
      fc.asyncProperty(consistent, async ([layer, [r1, r2], seed]) => {
        const w = engine.tidy(() => {
          const core = engine.randn([r1, r2, kernelPositions(layer)], { dtype: 'float64', seed });
          const u = engine.randn([layer.outChannels, r1], { dtype: 'float64', seed: seed + 1 });
          const v = engine.randn([layer.inChannels, r2], { dtype: 'float64', seed: seed + 2 });
          return einsum('abk,oa,ib->oik', core, u, v).reshape(layer.weightShape);
        });
        const f = await plugin.decompose(w, layer, [r1, r2], { maxIterations: 0 });
        expect([f.u.shape[1], f.v.shape[1]]).toEqual([r1, r2]);
        expect(relative(plugin.reconstruct(f), w)).toBeLessThan(1e-9);
      }),
      { numRuns: 40 },
    );
  });

  it('the reconstruction is invariant under U -> U Q, G -> G x1 Q^T and V -> V P, G -> G x2 P^T for orthogonal Q, P (rel. 1e-12)', async () => {
    await fc.assert(
      fc.asyncProperty(withRanks(layers), async ([layer, ranks, seed]) => {
        const f = await plugin.decompose(randomWeight(layer, seed), layer, ranks);
        const [r1, r2] = [f.u.shape[1], f.v.shape[1]];
        const q = orthogonal(r1, seed + 1);
        const p = orthogonal(r2, seed + 2);
        const core = f.core.reshape([r1, r2, -1]);
        const rotated: Tucker2Factors = {
          u: matmul(f.u, q),
          v: matmul(f.v, p),
          core: einsum('ac,bd,abk->cdk', q, p, core).reshape(f.core.shape),
          weightShape: f.weightShape,
        };
        expect(relative(plugin.reconstruct(rotated), plugin.reconstruct(f))).toBeLessThan(1e-12);
      }),
      { numRuns: 30 },
    );
  });

  it('on a linear layer the error equals the SVD optimum at rank min(R1, R2) (abs. 1e-9 of ||W||)', async () => {
    await fc.assert(
      fc.asyncProperty(withRanks(linearLayers), async ([layer, ranks, seed]) => {
        const w = randomWeight(layer, seed);
        const { s } = linalg.svd(linalg.matrix(layer.outChannels, layer.inChannels, w.dataSync()));
        const r = Math.min(...ranks);
        const optimum = Math.sqrt(
          s.slice(r).reduce((a, x) => a + x * x, 0) / s.reduce((a, x) => a + x * x, 0),
        );
        expect(
          Math.abs(relative(plugin.reconstruct(await plugin.decompose(w, layer, ranks)), w) - optimum),
        ).toBeLessThanOrEqual(1e-9);
      }),
      { numRuns: 30 },
    );
  });

  it('ranks beyond R1 <= R2*K are lowered to it: same factors shape, error and cost as at the lowered ranks', async () => {
    const layer = convLayer('features.6', 8, 2, [1, 2], { inputSize: [6, 7] });
    const w = randomWeight(layer, 11);
    const high = await plugin.decompose(w, layer, [4, 1]);
    const low = await plugin.decompose(w, layer, [2, 1]);
    expect(high.core.shape).toEqual([2, 1, 1, 2]);
    expect(relative(plugin.reconstruct(high), w)).toBeCloseTo(relative(plugin.reconstruct(low), w), 12);
    expect(plugin.cost(layer, [4, 1])).toEqual(plugin.cost(layer, [2, 1]));
  });

  it('project(w) equals reconstruct(decompose(w)) exactly', async () => {
    await fc.assert(
      fc.asyncProperty(withRanks(layers), async ([layer, ranks, seed]) => {
        const w = randomWeight(layer, seed);
        const projected = await plugin.project(w, layer, ranks);
        expect(projected.shape).toEqual(layer.weightShape);
        expect(Array.from(projected.dataSync())).toEqual(
          Array.from(plugin.reconstruct(await plugin.decompose(w, layer, ranks)).dataSync()),
        );
      }),
      { numRuns: 20 },
    );
  });

  it('onIteration reports the HOSVD as iteration 0 and then maxIterations sweeps (tolerance 0), which lower the error', async () => {
    const layer = convLayer('features.0', 8, 6, [3, 3]);
    const seen: number[] = [];
    const errors: number[] = [];
    const record = (i: number, e: number) => {
      seen.push(i);
      errors.push(e);
    };
    await plugin.decompose(randomWeight(layer, 2), layer, [3, 2], {
      maxIterations: 3,
      tolerance: 0,
      onIteration: record,
    });
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(errors[3]).toBeLessThan(errors[0]);
  });

  it('settings given at registration apply to every call (maxIterations: 0 at registration equals the HOSVD)', async () => {
    const layer = convLayer('features.0', 8, 6, [3, 3]);
    const w = randomWeight(layer, 3);
    const hosvdOnly = tucker2({ maxIterations: 0 });
    const a = hosvdOnly.reconstruct(await hosvdOnly.decompose(w, layer, [3, 2]));
    const b = plugin.reconstruct(await plugin.decompose(w, layer, [3, 2], { maxIterations: 0 }));
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
  });

  it('float32 weights give float32 factors and a float32 layer within float32 rounding of the dense one (rel. 1e-5)', async () => {
    const layer = linearLayer('fc2', 5, 7);
    const w = engine.randn([5, 7], { seed: 3 });
    const f = await plugin.decompose(w, layer, [5, 5]);
    expect([f.core.dtype, f.u.dtype, f.v.dtype]).toEqual(['float32', 'float32', 'float32']);
    expect(relative(plugin.reconstruct(f), w)).toBeLessThan(1e-5);
    const bias = engine.randn([5], { seed: 4 });
    const x = engine.randn([2, 7], { seed: 5 });
    const y = plugin.layer(f, layer, bias).call(x);
    expect(y.dtype).toBe('float32');
    expect(
      relative(
        y,
        engine.tidy(() => x.matmul(w.transpose()).add(bias)),
      ),
    ).toBeLessThan(1e-5);
  });
});
