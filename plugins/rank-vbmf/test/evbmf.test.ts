import { linalg, SeededRandom } from '@lowrank/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evbmf, evbmfRank, minimizeBounded } from '../src/index.js';

/** Orthonormal columns: Q of the QR of a Gaussian `rows x cols` matrix. */
function orthonormal(rng: SeededRandom, rows: number, cols: number): linalg.Matrix {
  const g = linalg.matrix(
    rows,
    cols,
    Array.from({ length: rows * cols }, () => rng.normal()),
  );
  const { Q } = linalg.qr(g);
  return linalg.sliceCols(Q, 0, cols);
}

/**
 * `U diag(s) V^T + noise`, `L x M` (or its transpose), noise N(0, sigma^2) per entry, with
 * signal singular values 3 to 6 times the noise edge `sqrt(M) sigma (1 + sqrt(L/M))`, well
 * clear of the largest noise singular value.
 */
function lowRankPlusNoise(
  l: number,
  m: number,
  rank: number,
  sigma: number,
  seed: number,
  transpose: boolean,
) {
  const rng = new SeededRandom(seed);
  const edge = Math.sqrt(m) * sigma * (1 + Math.sqrt(l / m));
  let y = linalg.zeros(l, m);
  if (rank > 0) {
    const s = Array.from({ length: rank }, () => edge * (3 + 3 * rng.next()));
    y = linalg.matmul(linalg.scaleCols(orthonormal(rng, l, rank), s), orthonormal(rng, m, rank), {
      transB: true,
    });
  }
  for (let j = 0; j < y.data.length; j++) y.data[j] += sigma * rng.normal();
  return transpose ? linalg.transpose(y) : y;
}

const sizes = fc.record({
  l: fc.integer({ min: 20, max: 80 }),
  m: fc.integer({ min: 80, max: 200 }),
  seed: fc.nat(100_000),
  transpose: fc.boolean(),
});

describe('EVBMF', () => {
  it('recovers the rank (exactly) of low-rank-plus-noise matrices: rank 1-9, noise 0.1, 20-80 x 80-200 and transposed', () => {
    fc.assert(
      fc.property(sizes, fc.integer({ min: 1, max: 9 }), ({ l, m, seed, transpose }, rank) => {
        expect(evbmfRank(lowRankPlusNoise(l, m, rank, 0.1, seed, transpose))).toBe(rank);
      }),
      { numRuns: 40, seed: 21 },
    );
  });

  it('gives rank 0 on pure Gaussian noise (sigma 0.1, 20-80 x 80-200), and estimates sigma^2 within 10%', () => {
    fc.assert(
      fc.property(sizes, ({ l, m, seed, transpose }) => {
        const result = evbmf(lowRankPlusNoise(l, m, 0, 0.1, seed, transpose));
        expect(result.rank).toBe(0);
        expect(Math.abs(result.sigma2 / 0.01 - 1)).toBeLessThan(0.1);
      }),
      { numRuns: 40, seed: 22 },
    );
  });

  it('gives rank 0 on a zero matrix, and the exact rank 3 of a noiseless rank-3 matrix (zero singular values)', () => {
    expect(evbmfRank(linalg.zeros(5, 9))).toBe(0);
    const rng = new SeededRandom(3);
    const y = linalg.matmul(linalg.scaleCols(orthonormal(rng, 20, 3), [3, 2, 1]), orthonormal(rng, 80, 3), {
      transB: true,
    });
    expect(evbmfRank(y)).toBe(3);
  });

  it('is deterministic: the same matrix gives the same rank, sigma^2 and threshold (exact)', () => {
    const y = lowRankPlusNoise(30, 90, 4, 0.1, 8, false);
    expect(evbmf(y)).toEqual(evbmf(y));
  });
});

describe('bounded Brent minimisation', () => {
  it('finds the minimum of (x - c)^2 + 1 on [a, b] within 1e-6 (clamped to the bounds when c is outside)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -10, max: 10, noNaN: true }),
        fc.double({ min: -5, max: 0, noNaN: true }),
        fc.double({ min: 0.1, max: 5, noNaN: true }),
        (c, a, width) => {
          const b = a + width;
          const x = minimizeBounded((t) => (t - c) ** 2 + 1, a, b, 1e-10);
          expect(Math.abs(x - Math.min(b, Math.max(a, c)))).toBeLessThan(1e-6);
        },
      ),
      { seed: 23 },
    );
  });
});
