import { linalg } from '@lowrank/core';
import { randomNdArray } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leftOrthogonalize, ttRankBounds, ttRanks, ttReconstruct, ttRound, ttSvd } from '../src/index.js';
import { frobenius, modesAndRanksArb, modesArb, randomTt, relativeError, seedArb } from './helpers.js';

/** max |G^T G - I| of a core reshaped (r_{k-1} n_k) x r_k. */
function orthogonalityDefect(core: linalg.NdArray): number {
  const [r, n, r2] = core.shape;
  const g = linalg.gram(linalg.matrix(r * n, r2, core.data), 'AtA');
  let worst = 0;
  for (let i = 0; i < r2; i++)
    for (let j = 0; j < r2; j++) worst = Math.max(worst, Math.abs(g.data[i * r2 + j] - (i === j ? 1 : 0)));
  return worst;
}

describe('ttSvd', () => {
  it('recovers a random TT tensor at its true ranks (relative error < 1e-9)', () => {
    fc.assert(
      fc.property(modesAndRanksArb, seedArb, ([modes, ranks], seed) => {
        const x = ttReconstruct(randomTt(modes, ranks, seed));
        const err = relativeError(x.data, ttReconstruct(ttSvd(x, { ranks })).data);
        expect(err).toBeLessThan(1e-9);
      }),
      { numRuns: 100 },
    );
  });

  it('with eps = 1e-10 and no caps finds ranks no larger than the true ones and recovers the tensor (< 1e-9)', () => {
    fc.assert(
      fc.property(modesAndRanksArb, seedArb, ([modes, ranks], seed) => {
        const x = ttReconstruct(randomTt(modes, ranks, seed));
        const cores = ttSvd(x, { eps: 1e-10 });
        ttRanks(cores).forEach((r, k) => {
          expect(r).toBeLessThanOrEqual(ranks[k]);
        });
        expect(relativeError(x.data, ttReconstruct(cores).data)).toBeLessThan(1e-9);
      }),
      { numRuns: 100 },
    );
  });

  it('meets the eps guarantee ‖A - TT‖ <= eps ‖A‖ on random tensors for eps in (0, 1) (property 4)', () => {
    fc.assert(
      fc.property(
        modesArb,
        seedArb,
        fc.double({ min: 1e-3, max: 0.999, noNaN: true }),
        (modes, seed, eps) => {
          const x = randomNdArray(modes, seed);
          const err = relativeError(x.data, ttReconstruct(ttSvd(x, { eps })).data);
          expect(err).toBeLessThanOrEqual(eps * (1 + 1e-12));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps the smallest ranks meeting eps: on a rank-(2,2) tensor plus 1e-6 noise, eps = 1e-3 gives ranks [2, 2]', () => {
    const x = ttReconstruct(randomTt([6, 7, 5], [2, 2], 3));
    const noise = randomNdArray([6, 7, 5], 4);
    const scale = (1e-6 * frobenius(x.data)) / frobenius(noise.data);
    x.data.forEach((v, i) => {
      x.data[i] = v + scale * noise.data[i];
    });
    expect(ttRanks(ttSvd(x, { eps: 1e-3 }))).toEqual([2, 2]);
  });

  it('never exceeds the caps nor min(prod_{i<=k} n_i, prod_{i>k} n_i) (property 3)', () => {
    fc.assert(
      fc.property(
        modesArb,
        seedArb,
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 4, maxLength: 4 }),
        fc.boolean(),
        (modes, seed, caps, withEps) => {
          const ranks = modes.slice(0, -1).map((_, k) => caps[k]);
          const cores = ttSvd(randomNdArray(modes, seed), { ranks, eps: withEps ? 0.1 : undefined });
          const bounds = ttRankBounds(modes);
          ttRanks(cores).forEach((r, k) => {
            expect(r).toBeGreaterThanOrEqual(1);
            expect(r).toBeLessThanOrEqual(Math.min(ranks[k], bounds[k]));
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('returns left-orthogonal cores: reshaped (r_{k-1} n_k) x r_k, G^T G = I within 1e-10 (property 5)', () => {
    fc.assert(
      fc.property(modesAndRanksArb, seedArb, ([modes, ranks], seed) => {
        const cores = ttSvd(randomNdArray(modes, seed), { ranks });
        for (const core of cores.slice(0, -1)) expect(orthogonalityDefect(core)).toBeLessThan(1e-10);
      }),
      { numRuns: 100 },
    );
  });

  it('gives the same tensor by every SVD route on a low-rank 16 x 12 x 10 tensor (full, gram, randomized; < 1e-9)', () => {
    const x = ttReconstruct(randomTt([16, 12, 10], [3, 4], 11));
    for (const method of ['full', 'gram', 'randomized'] as const) {
      expect(relativeError(x.data, ttReconstruct(ttSvd(x, { ranks: [3, 4], method })).data)).toBeLessThan(
        1e-9,
      );
    }
  });

  it('treats a zero tensor as rank 1 with eps and reconstructs zeros', () => {
    const cores = ttSvd(linalg.ndarray([3, 4, 2]), { eps: 0.5 });
    expect(ttRanks(cores)).toEqual([1, 1]);
    expect(frobenius(ttReconstruct(cores).data)).toBe(0);
  });
});

describe('leftOrthogonalize and ttRound', () => {
  it('left-orthogonalisation keeps the tensor (< 1e-12) and makes cores 1..d-1 satisfy G^T G = I (1e-10)', () => {
    fc.assert(
      fc.property(modesArb, seedArb, fc.integer({ min: 1, max: 6 }), (modes, seed, rank) => {
        // Ranks may exceed the bounds here: orthogonalisation shrinks them.
        const cores = randomTt(
          modes,
          modes.slice(0, -1).map(() => rank),
          seed,
        );
        const orth = leftOrthogonalize(cores);
        expect(relativeError(ttReconstruct(cores).data, ttReconstruct(orth).data)).toBeLessThan(1e-12);
        for (const core of orth.slice(0, -1)) expect(orthogonalityDefect(core)).toBeLessThan(1e-10);
      }),
      { numRuns: 100 },
    );
  });

  it('rounding preserves the tensor when the ranks allow (caps at or above the true ranks; < 1e-9)', () => {
    fc.assert(
      fc.property(modesAndRanksArb, seedArb, fc.nat(3), ([modes, ranks], seed, extra) => {
        const cores = randomTt(modes, ranks, seed);
        const rounded = ttRound(cores, { ranks: ranks.map((r) => r + extra) });
        expect(relativeError(ttReconstruct(cores).data, ttReconstruct(rounded).data)).toBeLessThan(1e-9);
      }),
      { numRuns: 100 },
    );
  });

  it('rounding with eps stays within eps: ‖X - round(X)‖ <= eps ‖X‖, eps in (0, 1)', () => {
    fc.assert(
      fc.property(
        modesArb,
        seedArb,
        fc.integer({ min: 1, max: 6 }),
        fc.double({ min: 1e-3, max: 0.999, noNaN: true }),
        (modes, seed, rank, eps) => {
          const cores = randomTt(
            modes,
            modes.slice(0, -1).map(() => rank),
            seed,
          );
          const x = ttReconstruct(cores);
          expect(relativeError(x.data, ttReconstruct(ttRound(cores, { eps })).data)).toBeLessThanOrEqual(
            eps * (1 + 1e-12),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('rounding X + X (cores stacked block-diagonally, ranks doubled) with eps = 1e-10 gives 2X at ranks no larger than X’s (< 1e-9)', () => {
    fc.assert(
      fc.property(modesAndRanksArb, seedArb, ([modes, ranks], seed) => {
        const cores = randomTt(modes, ranks, seed);
        const d = cores.length;
        // The TT of a sum: first core [G | G], last [G; G], middle block-diagonal.
        const sum = cores.map((c, k) => {
          const [r, n, r2] = c.shape;
          const [R, R2] = [k === 0 ? 1 : 2 * r, k === d - 1 ? 1 : 2 * r2];
          const out = linalg.ndarray([R, n, R2]);
          for (const block of [0, 1]) {
            const [ro, co] = [k === 0 ? 0 : block * r, k === d - 1 ? 0 : block * r2];
            for (let a = 0; a < r; a++)
              for (let i = 0; i < n; i++)
                for (let b = 0; b < r2; b++)
                  out.data[((a + ro) * n + i) * R2 + b + co] = c.data[(a * n + i) * r2 + b];
          }
          return out;
        });
        const rounded = ttRound(sum, { eps: 1e-10 });
        ttRanks(rounded).forEach((r, k) => {
          expect(r).toBeLessThanOrEqual(ranks[k]);
        });
        const twice = ttReconstruct(cores).data.map((v) => 2 * v);
        expect(relativeError(twice, ttReconstruct(rounded).data)).toBeLessThan(1e-9);
      }),
      { numRuns: 100 },
    );
  });
});
