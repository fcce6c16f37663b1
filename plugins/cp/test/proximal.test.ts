import { linalg, SeededRandom } from '@lowrank/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cgShifts, denseProximalSolve, PROXIMAL_WEIGHT } from '../src/proximal.js';

/** `N = G G^T` (`n x n`, rank `min(rank, n)`), a current iterate and right-hand sides `N Y` (`n x k`). */
function singularSystem(n: number, rank: number, k: number, seed: number) {
  const rng = new SeededRandom(seed);
  const gauss = (rows: number, cols: number) =>
    linalg.matrix(
      rows,
      cols,
      Float64Array.from({ length: rows * cols }, () => rng.normal()),
    );
  const g = gauss(n, rank);
  const a = linalg.matmul(g, g, { transB: true });
  return { a, b: linalg.matmul(a, gauss(n, k)), current: gauss(n, k) };
}

/** `tr(X^T A X) - 2 tr(B^T X)`, the step's objective up to a constant. */
function objective(a: linalg.Matrix, b: linalg.Matrix, x: linalg.Matrix): number {
  const ax = linalg.matmul(a, x);
  let value = 0;
  for (let i = 0; i < x.data.length; i++) value += x.data[i] * (ax.data[i] - 2 * b.data[i]);
  return value;
}

describe('the dense proximal step (core linalg.proximalSolve at CP weight)', () => {
  it('on a rank-deficient N is finite, never raises the objective (1e-10 of its scale) and solves N X = B in N range (1e-6 relative)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat(1_000_000),
        (n, r, k, seed) => {
          const rank = Math.min(r, n - 1);
          const { a, b, current } = singularSystem(n, rank, k, seed);
          const x = denseProximalSolve(a, b, current);
          expect(x).not.toBeNull();
          if (!x) return;
          expect(x.data.every(Number.isFinite)).toBe(true);
          const scale = Math.abs(objective(a, b, current)) + linalg.norm(b) ** 2 / linalg.norm(a);
          expect(objective(a, b, x)).toBeLessThanOrEqual(objective(a, b, current) + 1e-10 * scale);
          const residual = linalg.norm(linalg.sub(linalg.matmul(a, x), b));
          expect(residual).toBeLessThanOrEqual(1e-6 * linalg.norm(b));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('is null, not a throw, for an N that no jitter makes definite, and the current iterate for a zero N', () => {
    const [b, current] = [linalg.matrix(2, 1, [1, 1]), linalg.matrix(2, 1, [0.5, -2])];
    expect(denseProximalSolve(linalg.matrix(2, 2, [3, 0, 0, -1]), b, current)).toBeNull();
    expect(denseProximalSolve(linalg.zeros(2, 2), b, current)?.data).toEqual(current.data);
  });
});

describe('cgShifts', () => {
  it('start at PROXIMAL_WEIGHT trace/n and grow 100-fold to 1e-4 trace/n (exact ratios)', () => {
    const shifts = [...cgShifts(8, 2)];
    expect(shifts[0]).toBe((PROXIMAL_WEIGHT * 8) / 2);
    expect(shifts.at(-1)! / 4).toBeCloseTo(1e-4, 15);
    for (let i = 1; i < shifts.length; i++) expect(shifts[i] / shifts[i - 1]).toBeCloseTo(100, 9);
  });
});
