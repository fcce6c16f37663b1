import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Matrix, matmul, matrix, norm, proximalSolve, solve, sub } from '../../src/linalg/index.js';
import { expectRelClose, gaussian, RUNS } from './helpers.js';

/** The least-squares objective `‖D X - Y‖_F^2` an ALS step minimises. */
function objective(d: Matrix, x: Matrix, y: Matrix): number {
  const r = sub(matmul(d, x), y);
  return r.data.reduce((s, v) => s + v * v, 0);
}

/** `D` with `rank` independent columns out of `cols` (the rest repeat them): `D^T D` is singular. */
function deficientDesign(rows: number, cols: number, rank: number, seed: number): Matrix {
  const basis = gaussian(rows, rank, seed);
  const d = matrix(rows, cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) d.data[i * cols + j] = basis.data[i * rank + (j % rank)];
  return d;
}

describe('proximalSolve', () => {
  it('equals the plain solve of A X = B on a well-conditioned A (1e-8 relative to ‖X‖ + ‖X_prev‖)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 4 }), fc.nat(), (n, k, seed) => {
        const d = gaussian(n + 10, n, seed);
        const a = matmul(d, d, { transA: true });
        const b = gaussian(n, k, seed + 1);
        const previous = gaussian(n, k, seed + 2);
        const exact = solve(a, b);
        expectRelClose(proximalSolve(a, b, previous), exact, 1e-8, norm(exact) + norm(previous));
      }),
      RUNS,
    );
  });

  it('is a descent step on a singular system: ‖D X - Y‖ never above the previous iterate (1e-12 rel.), and the null-space part stays at it (1e-4: the shifted system has condition number is about 1e10)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat(),
        (cols, k, seed) => {
          const rank = Math.max(1, cols - 1 - (seed % cols));
          const d = deficientDesign(cols + 5, cols, rank, seed);
          const y = gaussian(cols + 5, k, seed + 1);
          const previous = gaussian(cols, k, seed + 2);
          const x = proximalSolve(matmul(d, d, { transA: true }), matmul(d, y, { transA: true }), previous);
          const before = objective(d, previous, y);
          expect(objective(d, x, y)).toBeLessThanOrEqual(before * (1 + 1e-12));
          // Columns j and j + rank of D are equal, so X[j] - X[j + rank] is invisible to D.
          for (let j = 0; j + rank < cols; j++)
            for (let c = 0; c < k; c++) {
              const moved = x.data[j * k + c] - x.data[(j + rank) * k + c];
              const was = previous.data[j * k + c] - previous.data[(j + rank) * k + c];
              expect(Math.abs(moved - was)).toBeLessThan(1e-4 * (1 + Math.abs(was)));
            }
        },
      ),
      RUNS,
    );
  });

  it('leaves X where it was when A is zero', () => {
    const previous = gaussian(3, 2, 7);
    expect(Array.from(proximalSolve(matrix(3, 3), matrix(3, 2), previous).data)).toEqual(
      Array.from(previous.data),
    );
  });
});
