import { linalg, SeededRandom } from '@lowrank/core';
import { randomNdArray } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpAls, cpAlsSigma, cpToNdArray, initialModel } from '../src/index.js';
import { inputModeSystem, modeGeometry, solveInputMode } from '../src/sigma-mode-system.js';
import { randomLowRank, randomWhitening, relativeDifference, sigmaError } from './helpers.js';

/** Linear weights (2-way) and conv kernels (4-way): channels 1-6, kernels 1-3. */
const shapes = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 })),
  fc.tuple(
    fc.integer({ min: 1, max: 6 }),
    fc.integer({ min: 1, max: 6 }),
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 1, max: 3 }),
  ),
);
const seeds = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const inits = fc.constantFrom('svd' as const, 'random' as const);

/** A random tensor, or a rank-2 one plus 10% noise. */
const tensors = fc
  .record({ shape: shapes, seed: seeds, lowRank: fc.boolean() })
  .map(({ shape, seed, lowRank }) => {
    if (!lowRank) return randomNdArray(shape, seed);
    const x = randomLowRank(shape, 2, seed);
    const noise = randomNdArray(shape, seed + 1);
    const scale = (0.1 * linalg.vecNorm(x.data)) / linalg.vecNorm(noise.data);
    return linalg.ndarray(
      shape,
      x.data.map((v, i) => v + scale * noise.data[i]),
    );
  });

const patchSize = (x: linalg.NdArray) => x.data.length / x.shape[0];

/**
 * The largest rank at which every ALS system is generically definite: the product of the
 * other modes' sizes bounds the rank of each Hadamard product of Grams.
 */
function definiteRank(shape: readonly number[]): number {
  const size = shape.reduce((a, s) => a * s, 1);
  return Math.min(...shape.map((s) => size / s));
}

function maxRise(errors: readonly number[]): number {
  let rise = Number.NEGATIVE_INFINITY;
  for (let i = 1; i < errors.length; i++) rise = Math.max(rise, errors[i] - errors[i - 1]);
  return rise;
}

describe('CP-ALS-Sigma', () => {
  it('with Sigma = I it reproduces CP-ALS from the same init: same reconstruction and error after 1-5 sweeps (1e-8 relative)', () => {
    fc.assert(
      fc.property(
        tensors,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 5 }),
        inits,
        seeds,
        (x, fraction, sweeps, init, seed) => {
          const rank = 1 + Math.floor(fraction * (definiteRank(x.shape) - 1));
          const run = (maxIterations: number) => {
            const options = { maxIterations, tolerance: 0 };
            return {
              plain: cpAls(x, rank, { ...options, init, seed }),
              sigma: cpAlsSigma(x, linalg.eye(patchSize(x)), initialModel(x, rank, init, seed), options),
            };
          };
          // Either may end early when rounding at the end of the descent raises its error:
          // then compare both after the sweeps both made.
          const first = run(sweeps);
          const both = Math.min(first.plain.errors.length, first.sigma.errors.length);
          const { plain, sigma } = both < sweeps ? run(both) : first;
          expect(sigma.errors.length).toBe(plain.errors.length);
          for (let i = 0; i < sigma.errors.length; i++) {
            expect(Math.abs(sigma.errors[i] - plain.errors[i])).toBeLessThanOrEqual(1e-8);
          }
          expect(relativeDifference(cpToNdArray(plain).data, cpToNdArray(sigma).data)).toBeLessThanOrEqual(
            1e-8,
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it("warm-started from CP-ALS's fit, its Sigma error is never above CP-ALS's at the same rank from the same init (1e-9 relative, 1e-12 absolute at exact fits)", () => {
    fc.assert(
      fc.property(tensors, fc.integer({ min: 1, max: 5 }), inits, seeds, (x, rank, init, seed) => {
        const l = randomWhitening(patchSize(x), seed);
        const plain = cpAls(x, rank, { init, seed, maxIterations: 30 });
        const sigma = cpAlsSigma(x, l, plain, { maxIterations: 30 });
        const before = sigmaError(x.data, cpToNdArray(plain).data, l);
        const after = sigmaError(x.data, cpToNdArray(sigma).data, l);
        expect(after).toBeLessThanOrEqual(before * (1 + 1e-9) + 1e-12);
      }),
      { numRuns: 60 },
    );
  });

  it('the Sigma error trace never rises, reports the returned fit, and falls below the start (relative 1e-10)', () => {
    fc.assert(
      fc.property(tensors, fc.integer({ min: 1, max: 5 }), inits, seeds, (x, rank, init, seed) => {
        const l = randomWhitening(patchSize(x), seed + 7);
        const trace: number[] = [];
        const fit = cpAlsSigma(x, l, initialModel(x, rank, init, seed), {
          maxIterations: 25,
          tolerance: 0,
          onIteration: (_it, e) => trace.push(e),
        });
        expect(trace).toEqual(fit.errors);
        // From the init (whose output factor is zero) the start's error is 1.
        expect(trace[0]).toBeLessThan(1);
        if (trace.length > 1) expect(maxRise(trace)).toBeLessThanOrEqual(0);
        const last = trace[trace.length - 1];
        expect(Math.abs(sigmaError(x.data, cpToNdArray(fit).data, l) - last)).toBeLessThanOrEqual(
          1e-10 + 1e-10 * last,
        );
        // The factor contract: unit columns, non-negative weights.
        expect(Array.from(fit.lambda).every((v) => v >= 0)).toBe(true);
        for (const f of fit.factors) {
          for (let r = 0; r < rank; r++) {
            const norm = linalg.vecNorm(f.data, r, f.rows, rank);
            if (fit.lambda[r] > 0) expect(Math.abs(norm - 1)).toBeLessThan(1e-12);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a rank-deficient Sigma and collinear factors keep the fit finite and the trace non-increasing', () => {
    fc.assert(
      fc.property(tensors, fc.integer({ min: 2, max: 5 }), seeds, (x, rank, seed) => {
        const p = patchSize(x);
        // Half of L's columns zero: Sigma of rank about p/2.
        const l = randomWhitening(p, seed);
        for (let i = 0; i < p; i++) for (let j = 0; j < p; j += 2) l.data[i * p + j] = 0;
        // Every component starts as the same vector in each mode.
        const start = initialModel(x, rank, 'random', seed);
        for (const f of start.factors.slice(1)) {
          for (let i = 0; i < f.rows; i++) f.data.fill(f.data[i * rank], i * rank, (i + 1) * rank);
        }
        const fit = cpAlsSigma(x, l, start, { maxIterations: 15, tolerance: 0 });
        expect(fit.factors.every((f) => f.data.every(Number.isFinite))).toBe(true);
        expect(fit.lambda.every(Number.isFinite)).toBe(true);
        if (fit.errors.length > 1) expect(maxRise(fit.errors)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 40 },
    );
  });

  it('returns the zero model with error 0 when W L = 0', () => {
    const x = randomNdArray([3, 2, 2, 2], 1);
    const fit = cpAlsSigma(x, linalg.zeros(8, 8), initialModel(x, 2, 'svd', 0));
    expect(fit.errors).toEqual([0]);
    expect(Array.from(fit.lambda)).toEqual([0, 0]);
  });
});

/**
 * A random input-mode system: weight `O x P` (input modes `dims`), `A` with orthogonal
 * columns of norms in [1, 2) (`O >= R`), input factors with entries of magnitude in
 * [0.5, 1.5), Sigma from `randomWhitening`: a definite, well-conditioned `N`.
 */
function randomSystem(o: number, dims: readonly number[], rank: number, mode: number, seed: number) {
  const rng = new SeededRandom(seed);
  const p = dims.reduce((a, d) => a * d, 1);
  const w = linalg.matrix(o, p, randomNdArray([o, p], seed).data);
  const q = linalg.qr(linalg.matrix(o, rank, randomNdArray([o, rank], seed + 1).data)).Q;
  const a = linalg.scaleCols(
    q,
    Float64Array.from({ length: rank }, () => 1 + rng.next()),
  );
  const inputs = dims.map((d) =>
    linalg.matrix(
      d,
      rank,
      Float64Array.from({ length: d * rank }, () => (rng.next() < 0.5 ? -1 : 1) * (0.5 + rng.next())),
    ),
  );
  const l = randomWhitening(p, seed + 9);
  const sigma = linalg.matmul(l, l, { transB: true });
  const transformed = linalg.matmul(a, linalg.matmul(w, sigma), { transA: true });
  const system = inputModeSystem(modeGeometry(sigma, dims, mode), transformed, linalg.gram(a), inputs, mode);
  /** `‖(W - A Z(F)^T) L‖^2` with `F` in mode `mode`. */
  const objective = (f: Float64Array): number => {
    const factors = inputs.map((g, k) => (k === mode ? linalg.matrix(g.rows, rank, f) : g));
    const d = linalg.sub(w, linalg.matmul(a, linalg.khatriRao(factors), { transB: true }));
    return linalg.norm(linalg.matmul(d, l)) ** 2;
  };
  return { system, objective, current: inputs[mode].data };
}

/** Input modes of a linear layer ([I]) or a conv kernel ([I, Kh, Kw]), a mode among them and a rank. */
const systems = fc
  .record({
    o: fc.integer({ min: 1, max: 5 }),
    dims: fc.oneof(
      fc.tuple(fc.integer({ min: 1, max: 6 })),
      fc.tuple(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
      ),
    ),
    rank: fc.integer({ min: 1, max: 4 }),
    mode: fc.nat(),
    seed: seeds,
  })
  .map(({ o, dims, rank, mode, seed }) =>
    randomSystem(Math.max(o, rank), dims, rank, mode % dims.length, seed),
  );

describe("CP-ALS-Sigma's input-mode normal equations", () => {
  it('are the objective: f(F) - f(0) = vec(F)^T N vec(F) - 2 rhs^T vec(F), N matrix-free = N dense (1e-10 relative)', () => {
    fc.assert(
      fc.property(systems, ({ system, objective, current }) => {
        const n = system.dense();
        const nf = linalg.matvec(n, current);
        const applied = new Float64Array(nf.length);
        system.apply(current, applied);
        expect(relativeDifference(nf, applied)).toBeLessThanOrEqual(1e-10);
        let quadratic = 0;
        for (let k = 0; k < nf.length; k++) quadratic += current[k] * (nf[k] - 2 * system.rhs[k]);
        const change = objective(current) - objective(new Float64Array(current.length));
        expect(Math.abs(change - quadratic)).toBeLessThanOrEqual(
          1e-10 * (Math.abs(change) + objective(current)),
        );
        let trace = 0;
        for (let k = 0; k < n.rows; k++) trace += n.data[k * n.rows + k];
        expect(Math.abs(system.trace - trace)).toBeLessThanOrEqual(1e-10 * trace);
      }),
      { numRuns: 80 },
    );
  });

  it('on well-conditioned systems dense Cholesky and preconditioned CG give the same solution (1e-8 relative), which zeroes the gradient (1e-6)', () => {
    fc.assert(
      fc.property(systems, ({ system, current }) => {
        const dense = solveInputMode(system, current, 'dense');
        const cg = solveInputMode(system, current, 'cg');
        expect(relativeDifference(dense, cg)).toBeLessThanOrEqual(1e-8);
        // Stationarity up to the proximal shift: ‖N F - rhs‖ small against ‖rhs‖.
        const nf = new Float64Array(dense.length);
        system.apply(dense, nf);
        expect(relativeDifference(system.rhs, nf)).toBeLessThanOrEqual(1e-6);
      }),
      { numRuns: 80 },
    );
  });
});
