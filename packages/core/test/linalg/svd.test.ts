import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  eigh,
  gram,
  LinalgError,
  type Matrix,
  matmul,
  matrix,
  NonConvergenceError,
  scaleCols,
  svd,
  transpose,
} from '../../src/linalg/index.js';
import {
  expectOrthonormalColumns,
  expectRelClose,
  gaussian,
  logSpaced,
  matrixCase,
  RUNS,
  withSingularValues,
} from './helpers.js';

function reconstruct(U: Matrix, s: Float64Array, V: Matrix): Matrix {
  return matmul(scaleCols(U, s), V, { transB: true });
}

describe('svd', () => {
  it('U S V^T = A (rel. 1e-10), U^T U = V^T V = I (abs. 1e-10), economy shapes', () => {
    fc.assert(
      fc.property(matrixCase(), ({ a }) => {
        const { U, s, V } = svd(a);
        const k = Math.min(a.rows, a.cols);
        expect([U.rows, U.cols, s.length, V.rows, V.cols]).toEqual([a.rows, k, k, a.cols, k]);
        expectRelClose(reconstruct(U, s, V), a, 1e-10);
        expectOrthonormalColumns(U, 1e-10);
        expectOrthonormalColumns(V, 1e-10);
      }),
      RUNS,
    );
  });

  it('singular values are non-negative, descending, and their squares are the eigenvalues of A^T A (abs. 1e-10 s_1^2)', () => {
    fc.assert(
      fc.property(matrixCase(), ({ a }) => {
        const { s } = svd(a);
        for (let i = 0; i < s.length; i++) {
          expect(s[i]).toBeGreaterThanOrEqual(0);
          if (i > 0) expect(s[i]).toBeLessThanOrEqual(s[i - 1]);
        }
        const small = a.rows >= a.cols ? gram(a, 'AtA') : gram(a, 'AAt');
        const w = eigh(small).values.reverse();
        const tol = 1e-10 * Math.max(s[0] * s[0], Number.MIN_VALUE);
        for (let i = 0; i < s.length; i++) expect(Math.abs(s[i] * s[i] - w[i])).toBeLessThanOrEqual(tol);
      }),
      RUNS,
    );
  });

  it('recovers constructed singular values, cond 1e8 (abs. 1e-12 s_1)', () => {
    for (const [m, n] of [
      [60, 40],
      [40, 60],
      [45, 45],
    ]) {
      const want = logSpaced(Math.min(m, n), 1e8);
      const { s } = svd(withSingularValues(m, n, want, m + n));
      for (let i = 0; i < want.length; i++) expect(Math.abs(s[i] - want[i])).toBeLessThan(1e-12);
    }
  });

  it('sign convention: the largest-magnitude entry of every left singular vector is positive', () => {
    fc.assert(
      fc.property(matrixCase({ max: 30 }), ({ a }) => {
        const { U } = svd(a);
        for (let j = 0; j < U.cols; j++) {
          let best = 0;
          for (let i = 0; i < U.rows; i++)
            if (Math.abs(U.data[i * U.cols + j]) > Math.abs(best)) best = U.data[i * U.cols + j];
          expect(best).toBeGreaterThan(0);
        }
      }),
      RUNS,
    );
  });

  it('svd(A^T) swaps the factors of svd(A) (same singular values, rel. 1e-12)', () => {
    const a = gaussian(30, 70, 5);
    const f = svd(a);
    const g = svd(transpose(a));
    for (let i = 0; i < f.s.length; i++) expect(g.s[i]).toBeCloseTo(f.s[i], 12);
    expectRelClose(reconstruct(g.V, g.s, g.U), a, 1e-12);
  });

  it('is accurate on a 500x120 matrix taking the QR-first route (rel. 1e-12)', () => {
    const a = gaussian(500, 120, 9);
    const { U, s, V } = svd(a);
    expectRelClose(reconstruct(U, s, V), a, 1e-12);
    expectOrthonormalColumns(U, 1e-12);
    expectOrthonormalColumns(V, 1e-12);
  });

  it('handles tiny and huge scales without overflow (rel. 1e-12)', () => {
    for (const scale of [1e-300, 1e300]) {
      const a = scaleCols(gaussian(12, 9, 1), new Float64Array(9).fill(scale));
      const { U, s, V } = svd(a);
      expectRelClose(reconstruct(U, s, V), a, 1e-12);
    }
  });

  it('rejects NaN, Inf and empty input, naming svd and the shape', () => {
    expect(() => svd(matrix(2, 3, [1, 2, 3, 4, Number.NaN, 6]))).toThrow(
      /svd: input has NaN at \(1, 1\) \(shape 2x3\)/,
    );
    expect(() => svd(matrix(0, 4))).toThrow(LinalgError);
    expect(() => svd(matrix(3, 0))).toThrow(/svd: empty matrix \(shape 3x0\)/);
  });

  it('reports non-convergence with the iteration count when maxIter is too small', () => {
    const a = gaussian(20, 20, 3);
    expect(() => svd(a, { maxIter: 1 })).toThrow(NonConvergenceError);
    try {
      svd(a, { maxIter: 1 });
    } catch (e) {
      expect((e as NonConvergenceError).iterations).toBe(1);
      expect(String(e)).toMatch(/svd: no convergence after 1 iterations.*\(shape 20x20\)/);
    }
  });
});
