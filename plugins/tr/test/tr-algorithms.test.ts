import { randomNdArray } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { trAls, trRanks, trReconstruct, trSvd } from '../src/index.js';
import { randomRing, relativeError, ringArb, seedArb } from './helpers.js';

describe('trSvd', () => {
  it('recovers rings whose bond at the cut carries one component (exactly a TT there) at their ranks (< 1e-9)', () => {
    fc.assert(
      fc.property(ringArb, seedArb, ({ modes, start, ranks }, seed) => {
        const cores = randomRing(modes, ranks, seed);
        // Core `start` zero beyond left index 0: the ring is cut to a train at that bond.
        cores[start].data.fill(0, modes[start] * ranks[(start + 1) % modes.length]);
        const x = trReconstruct(cores);
        expect(relativeError(x.data, trReconstruct(trSvd(x, ranks, { start })).data)).toBeLessThan(1e-9);
      }),
      { numRuns: 100 },
    );
  });

  it('is exact on any tensor when the cut pair covers the first unfolding and the other ranks are uncapped (< 1e-9)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 2, max: 5 }), { minLength: 2, maxLength: 4 }),
        seedArb,
        (modes, seed) => {
          const x = randomNdArray(modes, seed);
          const total = modes.reduce((p, n) => p * n, 1);
          const ranks = modes.map((_, k) =>
            k === 0 ? 1 : k === 1 ? Math.min(modes[0], total / modes[0]) : 10_000,
          );
          expect(relativeError(x.data, trReconstruct(trSvd(x, ranks)).data)).toBeLessThan(1e-9);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('gives cores [R_k, n_k, R_{k+1}] that close the ring, with R_s, R_{s+1} as asked and the others within their caps', () => {
    fc.assert(
      fc.property(ringArb, seedArb, ({ modes, start, ranks }, seed) => {
        const d = modes.length;
        const cores = trSvd(randomNdArray(modes, seed), ranks, { start });
        cores.forEach((c, k) => {
          expect(c.shape[1]).toBe(modes[k]);
          expect(c.shape[2]).toBe(cores[(k + 1) % d].shape[0]);
        });
        const got = trRanks(cores);
        expect(got[start]).toBe(ranks[start]);
        expect(got[(start + 1) % d]).toBe(ranks[(start + 1) % d]);
        got.forEach((r, k) => {
          expect(r).toBeLessThanOrEqual(ranks[k]);
        });
      }),
      { numRuns: 100 },
    );
  });

  it('throws when R_s R_{s+1} exceeds the rank of the unfolding at the cut', () => {
    expect(() => trSvd(randomNdArray([4, 3, 5], 1), [3, 2, 2])).toThrow(/R0 R1 = 3 \* 2 = 6 exceeds 4/);
  });
});

describe('trAls', () => {
  // TR-ALS is a local method: on 20 random rings of this shape it recovered 14 from TR-SVD
  // starts and 15 from random ones within 200 sweeps (TensorLy tests seeded instances too).
  it('recovers seeded random rings of shape (6, 2, 3, 2, 6), ranks 2, from TR-SVD and from random starts (< 1e-2)', () => {
    for (const seed of [4, 5, 6]) {
      const x = trReconstruct(randomRing([6, 2, 3, 2, 6], [2, 2, 2, 2, 2], seed));
      const fromSvd = trAls(x, [2, 2, 2, 2, 2], { init: trSvd(x, [2, 2, 2, 2, 2]), maxIterations: 200 });
      const fromRandom = trAls(x, [2, 2, 2, 2, 2], { seed: seed + 1000, maxIterations: 200 });
      expect(relativeError(x.data, trReconstruct(fromSvd).data)).toBeLessThan(1e-2);
      expect(relativeError(x.data, trReconstruct(fromRandom).data)).toBeLessThan(1e-2);
    }
  });

  it('reports a non-increasing error trace (within 1e-7 of the first, 1e-12 at rounding level) from random starts, the last entry the final error (1e-7: ill-conditioned least squares give large core entries whose rounding reaches 1e-8)', () => {
    fc.assert(
      fc.property(ringArb, seedArb, ({ modes, ranks }, seed) => {
        const x = randomNdArray(modes, seed);
        const trace: number[] = [];
        const cores = trAls(x, ranks, {
          seed: seed + 1,
          maxIterations: 15,
          onIteration: (_, e) => trace.push(e),
        });
        for (let i = 1; i < trace.length; i++)
          expect(trace[i]).toBeLessThanOrEqual(trace[i - 1] + Math.max(1e-7 * trace[0], 1e-12));
        expect(
          Math.abs(trace[trace.length - 1] - relativeError(x.data, trReconstruct(cores).data)),
        ).toBeLessThan(1e-7);
      }),
      { numRuns: 60 },
    );
  });

  it('started from TR-SVD ends no worse than TR-SVD', () => {
    fc.assert(
      fc.property(ringArb, seedArb, ({ modes, start, ranks }, seed) => {
        const x = randomNdArray(modes, seed);
        const init = trSvd(x, ranks, { start });
        const refined = trAls(x, trRanks(init), { init, maxIterations: 10 });
        expect(relativeError(x.data, trReconstruct(refined).data)).toBeLessThanOrEqual(
          relativeError(x.data, trReconstruct(init).data) + 1e-12,
        );
      }),
      { numRuns: 60 },
    );
  });

  it('stops when a sweep changes the error by less than tol', () => {
    const x = randomNdArray([4, 5, 6], 3);
    const trace: number[] = [];
    trAls(x, [2, 2, 2], { tol: 1e-3, maxIterations: 500, onIteration: (_, e) => trace.push(e) });
    expect(trace.length).toBeLessThan(501);
    expect(Math.abs(trace[trace.length - 2] - trace[trace.length - 1])).toBeLessThan(1e-3);
  });
});
