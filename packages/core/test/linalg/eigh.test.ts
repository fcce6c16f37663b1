import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  diag,
  eigh,
  eye,
  LinalgError,
  type Matrix,
  matmul,
  matrix,
  NonConvergenceError,
  norm,
  scaleCols,
} from '../../src/linalg/index.js';
import {
  expectOrthonormalColumns,
  expectRelClose,
  gaussian,
  orthonormal,
  RUNS,
  symmetricCase,
} from './helpers.js';

function expectEigenpairs(a: Matrix, tol: number): Float64Array {
  const { values, vectors: V } = eigh(a);
  expect([V.rows, V.cols, values.length]).toEqual([a.rows, a.rows, a.rows]);
  // A V = V diag(w), relative to |A|_F
  expectRelClose(matmul(a, V), scaleCols(V, values), tol, norm(a));
  expectOrthonormalColumns(V, tol);
  for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
  return values;
}

/** `Q diag(w) Q^T` for a random orthogonal `Q`. */
function withEigenvalues(w: number[], seed: number): Matrix {
  const q = orthonormal(w.length, w.length, seed);
  const a = matmul(scaleCols(q, Float64Array.from(w)), q, { transB: true });
  // exact symmetry, as the callers of eigh provide
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < i; j++) a.data[j * a.cols + i] = a.data[i * a.cols + j];
  return a;
}

describe('eigh', () => {
  it('A V = V diag(w) (rel. 1e-10), V^T V = I (abs. 1e-10), w ascending, for symmetric A of every kind', () => {
    fc.assert(
      fc.property(symmetricCase(), ({ a }) => {
        expectEigenpairs(a, 1e-10);
      }),
      RUNS,
    );
  });

  it('finds constructed eigenvalues, clusters and multiplicities included (abs. 1e-12 |A|)', () => {
    const cases: number[][] = [
      Array.from({ length: 90 }, (_, i) => (i % 3) - 1), // three eigenvalues, each 30 times
      Array.from({ length: 70 }, (_, i) => 1 + i * 1e-10), // a tight cluster
      Array.from({ length: 100 }, (_, i) => (i < 50 ? 0 : 10 ** (-(i - 50) / 6))), // many zeros, a wide range
      Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? -1 : 1) * (1 + i)), // indefinite
    ];
    cases.forEach((w, c) => {
      const got = expectEigenpairs(withEigenvalues(w, c), 1e-10);
      const want = Float64Array.from(w).sort();
      const scale = Math.max(...w.map(Math.abs));
      for (let i = 0; i < w.length; i++)
        expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-12 * scale * w.length);
    });
  });

  it('handles diagonal, identity and zero matrices and a 200x200 random one (divide and conquer levels)', () => {
    expectEigenpairs(diag(Float64Array.from({ length: 50 }, (_, i) => 50 - i)), 1e-14);
    expectEigenpairs(eye(40), 1e-14);
    expectEigenpairs(matrix(40, 40), 1e-14);
    const g = gaussian(200, 200, 1);
    const sym = matmul(g, g, { transB: true });
    expectEigenpairs(sym, 1e-11);
  });

  it('sign convention: the largest-magnitude entry of every eigenvector is positive', () => {
    fc.assert(
      fc.property(symmetricCase({ max: 40 }), ({ a }) => {
        const V = eigh(a).vectors;
        for (let j = 0; j < V.cols; j++) {
          let best = 0;
          for (let i = 0; i < V.rows; i++)
            if (Math.abs(V.data[i * V.cols + j]) > Math.abs(best)) best = V.data[i * V.cols + j];
          expect(best).toBeGreaterThan(0);
        }
      }),
      RUNS,
    );
  });

  it('rejects NaN, non-square and empty input; reports non-convergence with the iteration count', () => {
    expect(() => eigh(matrix(2, 2, [1, Number.NaN, Number.NaN, 1]))).toThrow(/eigh: input has NaN/);
    expect(() => eigh(matrix(2, 3))).toThrow(/eigh: matrix must be square \(shape 2x3\)/);
    expect(() => eigh(matrix(0, 0))).toThrow(LinalgError);
    const g = gaussian(20, 20, 2);
    const a = matmul(g, g, { transB: true });
    expect(() => eigh(a, { maxIter: 1 })).toThrow(NonConvergenceError);
    expect(() => eigh(a, { maxIter: 1 })).toThrow(/eigh: no convergence after 1 iterations/);
  });
});
