import {
  createEngine,
  einsum,
  type LayerInfo,
  linalg,
  type Metric,
  matmul,
  nn,
  norm,
  sub,
  type Tensor,
} from '@lowrank/core';
import { arbLayer, convLayer, linearLayer } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tucker2 } from '../src/index.js';
import { solveV } from '../src/v-solve.js';

const layers = arbLayer();
const engine = createEngine();
const plugin = tucker2();
const seeds = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const kernelPositions = (layer: LayerInfo) => layer.weightShape.slice(2).reduce((a, d) => a * d, 1);
const patch = (layer: LayerInfo) => layer.inChannels * kernelPositions(layer);
const randn = (shape: readonly number[], seed: number) => engine.randn(shape, { dtype: 'float64', seed });
const randomMatrix = (rows: number, cols: number, seed: number) =>
  linalg.matrix(rows, cols, randn([rows, cols], seed).dataSync());

/**
 * A `P x P` whitening factor whose Sigma = L L^T has rank `rank` (<= P) and correlated,
 * unevenly scaled coordinates, so the Sigma and Frobenius problems differ: `rank` random
 * columns, each coordinate mixed with its neighbour and scaled by up to 10x, the other
 * columns zero.
 */
function whiteningFactor(p: number, rank: number, seed: number): linalg.Matrix {
  const a = randomMatrix(p, rank, seed);
  const l = linalg.zeros(p, p);
  for (let i = 0; i < p; i++) {
    const scale = 1 + (9 * ((i * 7919) % 13)) / 12;
    for (let j = 0; j < rank; j++) {
      const mixed = a.data[i * rank + j] + (i > 0 ? 0.8 * a.data[(i - 1) * rank + j] : 0);
      l.data[i * p + j] = scale * mixed;
    }
  }
  return l;
}
const whitened = (l: linalg.Matrix): Metric => ({
  kind: 'whitened',
  factor: linalg.fromMatrix(engine, l, 'float64'),
});

/** `‖(W - What) L‖ / ‖W L‖` with both as `O x P`. */
function sigmaError(w: Tensor, approx: Tensor, l: linalg.Matrix): number {
  const o = w.shape[0];
  const p = l.rows;
  const wm = linalg.matrix(o, p, w.dataSync());
  const d = linalg.sub(wm, linalg.matrix(o, p, approx.dataSync()));
  return linalg.norm(linalg.matmul(d, l)) / linalg.norm(linalg.matmul(wm, l));
}

/** Largest entry of |A^T A - I|. */
function orthonormalityDefect(t: Tensor): number {
  const [n, r] = t.shape;
  const g = linalg.gram(linalg.matrix(n, r, t.dataSync()), 'AtA');
  return Math.max(...g.data.map((x, k) => Math.abs(x - (k % (r + 1) === 0 ? 1 : 0))));
}

/** A layer, ranks within its spec, a seed, and the rank of its Sigma (1..P). */
const cases = layers.chain((layer) => {
  const { max } = plugin.rankSpec(layer);
  return fc.tuple(
    fc.constant(layer),
    fc.tuple(fc.integer({ min: 1, max: max[0] }), fc.integer({ min: 1, max: max[1] })),
    seeds,
    fc.integer({ min: 1, max: patch(layer) }),
  );
});

describe('Tucker2-ALS-Sigma (whitened metric)', () => {
  it('declares the whitened metric, and project() honours it (equals reconstruct(decompose) with the metric, exactly)', async () => {
    expect(plugin.metrics).toEqual(['frobenius', 'whitened']);
    const layer = convLayer('features.3', 5, 3, [3, 2]);
    const w = randn(layer.weightShape, 1);
    const metric = whitened(whiteningFactor(patch(layer), patch(layer), 2));
    const projected = await plugin.project(w, layer, [3, 2], metric);
    const direct = plugin.reconstruct(await plugin.decompose(w, layer, [3, 2], { metric }));
    const frobenius = await plugin.project(w, layer, [3, 2]);
    expect(Array.from(projected.dataSync())).toEqual(Array.from(direct.dataSync()));
    expect(Array.from(projected.dataSync())).not.toEqual(Array.from(frobenius.dataSync()));
  });

  it('with Sigma = I and a clear spectral gap, ALS-Sigma started from the HOSVD converges to the Frobenius HOOI reconstruction (‖What_sigma - What_hooi‖ <= 1e-8 ‖What_hooi‖)', async () => {
    // W = a multilinear-rank (R1, R2) tensor plus noise 1e-3 times smaller: both iterations
    // converge to the same best (R1, R2) approximation, compared as dense reconstructions.
    const consistent = cases.filter(([layer, [r1, r2]]) => {
      const k = kernelPositions(layer);
      return r1 <= r2 * k && r2 <= r1 * k;
    });
    await fc.assert(
      fc.asyncProperty(consistent, async ([layer, [r1, r2], seed]) => {
        const k = kernelPositions(layer);
        const w = engine.tidy(() => {
          const signal = einsum(
            'abk,oa,ib->oik',
            randn([r1, r2, k], seed),
            randn([layer.outChannels, r1], seed + 1),
            randn([layer.inChannels, r2], seed + 2),
          ).reshape(layer.weightShape);
          return signal.add(randn(layer.weightShape, seed + 3).mul(1e-3));
        });
        const converged = { maxIterations: 500, tolerance: 1e-15 };
        const hooi = plugin.reconstruct(await plugin.decompose(w, layer, [r1, r2], converged));
        const metric = whitened(linalg.eye(patch(layer)));
        const als = plugin.reconstruct(
          await plugin.decompose(w, layer, [r1, r2], { ...converged, metric, init: 'hosvd' }),
        );
        const gap = linalg.norm(linalg.matrix(1, hooi.size, als.sub(hooi).dataSync()));
        expect(gap).toBeLessThanOrEqual(1e-8 * linalg.norm(linalg.matrix(1, hooi.size, hooi.dataSync())));
      }),
      { numRuns: 25 },
    );
  });

  it('its Sigma error is never above the Frobenius Tucker2 one at the same ranks (rel. 1e-9), for full-rank and rank-deficient Sigma; U, V stay orthonormal (1e-10)', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async ([layer, ranks, seed, rank]) => {
        const w = randn(layer.weightShape, seed);
        const l = whiteningFactor(patch(layer), rank, seed + 1);
        const frobenius = sigmaError(w, plugin.reconstruct(await plugin.decompose(w, layer, ranks)), l);
        const f = await plugin.decompose(w, layer, ranks, { metric: whitened(l) });
        expect(sigmaError(w, plugin.reconstruct(f), l)).toBeLessThanOrEqual(frobenius * (1 + 1e-9) + 1e-15);
        expect(orthonormalityDefect(f.u)).toBeLessThanOrEqual(1e-10);
        expect(orthonormalityDefect(f.v)).toBeLessThanOrEqual(1e-10);
      }),
      { numRuns: 40 },
    );
  });

  it('the reported Sigma error trace is non-increasing (within 1e-7 e_0) and ends at the true relative Sigma error (abs. 1e-9)', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async ([layer, ranks, seed, rank]) => {
        const w = randn(layer.weightShape, seed);
        const l = whiteningFactor(patch(layer), rank, seed + 1);
        const trace: number[] = [];
        const f = await plugin.decompose(w, layer, ranks, {
          metric: whitened(l),
          init: 'hosvd',
          onIteration: (_i, e) => trace.push(e),
        });
        for (let i = 1; i < trace.length; i++)
          expect(trace[i]).toBeLessThanOrEqual(trace[i - 1] + 1e-7 * trace[0]);
        expect(
          Math.abs(trace[trace.length - 1] - sigmaError(w, plugin.reconstruct(f), l)),
        ).toBeLessThanOrEqual(1e-9);
      }),
      { numRuns: 40 },
    );
  });

  it('functional identity: for x ~ N(0, Sigma), mean ‖f(x; W) - f(x; What)‖² over 20,000 samples equals ‖(W - What) L‖² (rel. 5%), conv and linear', async () => {
    // One output position (input = kernel size, no padding), so each sample is exactly one
    // im2col patch (i, kh, kw) and its law is the Sigma of that position.
    const shapes = fc.record({
      o: fc.integer({ min: 2, max: 6 }),
      i: fc.integer({ min: 2, max: 4 }),
      kernel: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      linear: fc.boolean(),
      seed: seeds,
    });
    await fc.assert(
      fc.asyncProperty(shapes, async ({ o, i, kernel, linear, seed }) => {
        const layer = linear
          ? linearLayer('fc1', o, i * kernel[0] * kernel[1], false)
          : convLayer('features.3', o, i, kernel, { inputSize: kernel, bias: false });
        const p = patch(layer);
        const l = whiteningFactor(p, p, seed + 1);
        const w = randn(layer.weightShape, seed);
        const ranks = plugin.rankSpec(layer).max.map((m) => Math.max(1, m - 1));
        const f = await plugin.decompose(w, layer, ranks, { metric: whitened(l) });
        const dense = linear
          ? new nn.Linear(engine, p, o, { bias: false, dtype: 'float64' })
          : new nn.Conv2d(engine, i, o, kernel, { bias: false, dtype: 'float64' });
        dense.weight.copyFrom(w);
        const factorized = plugin.layer(f, layer, null);
        const n = 20_000;
        const x = engine.tidy(() => {
          const patches = matmul(
            randn([n, p], seed + 2),
            linalg.fromMatrix(engine, linalg.transpose(l), 'float64'),
          );
          return linear ? patches : patches.reshape([n, i, ...kernel]);
        });
        const measured = engine.tidy(() => {
          const d = dense.call(x).sub(factorized.call(x));
          return d.mul(d).sum().itemSync() / n;
        });
        const expected =
          sigmaError(w, plugin.reconstruct(f), l) ** 2 *
          linalg.norm(linalg.matmul(linalg.matrix(o, p, w.dataSync()), l)) ** 2;
        expect(Math.abs(measured - expected)).toBeLessThanOrEqual(0.05 * expected);
      }),
      { numRuns: 6 },
    );
  });

  it('the dense and matrix-free V solves agree on well-conditioned systems (rel. 1e-8), and so do whole decompositions using either (rel. 1e-8)', async () => {
    const systems = fc.record({
      o: fc.integer({ min: 2, max: 6 }),
      i: fc.integer({ min: 2, max: 5 }),
      k: fc.integer({ min: 1, max: 4 }),
      r1: fc.integer({ min: 1, max: 3 }),
      r2: fc.integer({ min: 1, max: 3 }),
      seed: seeds,
    });
    // The systems the plugin meets (effective ranks: R2 <= R1*K, R1 <= R2*K), kept well
    // conditioned (Sigma = I + a correlated part of at most P times its mean diagonal, a
    // core with orthonormal rows), so both solves are accurate to far below 1e-8: on an
    // ill-conditioned N they differ by cond(N) times CG's 1e-10 residual.
    const definite = systems.filter(
      ({ o, k, r1, r2 }) => r2 <= Math.min(r1, o) * k && Math.min(r1, o) <= r2 * k,
    );
    fc.assert(
      fc.property(definite, ({ o, i, k, r1, r2, seed }) => {
        const p = i * k;
        const r = Math.min(r1, o);
        const l = whiteningFactor(p, p, seed);
        const sigma = linalg.matmul(l, l, { transB: true });
        const scale = 0.5 / (sigma.data.filter((_, j) => j % (p + 1) === 0).reduce((a, x) => a + x, 0) / p);
        for (let j = 0; j < sigma.data.length; j++)
          sigma.data[j] = sigma.data[j] * scale + (j % (p + 1) === 0 ? 1 : 0);
        const rows = linalg.transpose(linalg.qr(randomMatrix(r2 * k, r, seed + 3)).Q);
        const system = {
          sigma,
          wSigma: linalg.matmul(randomMatrix(o, p, seed + 1), sigma),
          u: linalg.qr(randomMatrix(o, r, seed + 2)).Q,
          core: linalg.ndarray([r, r2, k], rows.data),
          v: randomMatrix(i, r2, seed + 4),
        };
        const dense = solveV(system, 'dense');
        const free = solveV(system, 'matrix-free');
        expect(linalg.norm(linalg.sub(dense, free))).toBeLessThanOrEqual(1e-8 * linalg.norm(dense));
      }),
      { numRuns: 60 },
    );
    const layer = convLayer('features.3', 6, 4, [3, 3]);
    const w = randn(layer.weightShape, 5);
    const metric = whitened(whiteningFactor(patch(layer), patch(layer), 6));
    const run = async (vSolve: 'dense' | 'matrix-free') =>
      plugin.reconstruct(await plugin.decompose(w, layer, [4, 3], { metric, vSolve, maxIterations: 10 }));
    const [a, b] = [await run('dense'), await run('matrix-free')];
    expect(engine.tidy(() => norm(sub(a, b)).itemSync())).toBeLessThanOrEqual(1e-8 * norm(b).itemSync());
  });
});

describe('Tucker2-ALS-Sigma errors name the layer', () => {
  const layer = convLayer('layer2.c1', 4, 3, [3, 3]);
  const w = randn(layer.weightShape, 1);

  it('a whitening factor of the wrong size is refused with P = I*Kh*Kw and the layer name', async () => {
    const metric = whitened(linalg.eye(26));
    await expect(plugin.decompose(w, layer, [2, 2], { metric })).rejects.toThrow(
      /'layer2\.c1' is \[26, 26\]; it must be P x P = 27 x 27 \(P = 3\*3\*3/,
    );
    await expect(plugin.project(w, layer, [2, 2], metric)).rejects.toThrow(/'layer2\.c1'/);
  });

  it('a non-finite whitening factor is refused with the position', async () => {
    const l = linalg.eye(27);
    l.data[28] = Number.NaN;
    await expect(plugin.decompose(w, layer, [2, 2], { metric: whitened(l) })).rejects.toThrow(
      /'layer2\.c1' has NaN at \(1, 1\); it must be finite/,
    );
  });

  it('bad init and vSolve settings are refused, naming the layer', async () => {
    const metric = whitened(linalg.eye(27));
    await expect(plugin.decompose(w, layer, [2, 2], { metric, init: 'random' })).rejects.toThrow(
      /init for 'layer2\.c1' must be 'hooi' or 'hosvd', got 'random'/,
    );
    await expect(plugin.decompose(w, layer, [2, 2], { metric, vSolve: 'lu' })).rejects.toThrow(
      /vSolve for 'layer2\.c1' must be 'auto', 'dense' or 'matrix-free', got 'lu'/,
    );
  });
});
