import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cholesky,
  choleskySolve,
  LinalgError,
  lu,
  luSolve,
  type Matrix,
  matmul,
  matrix,
  norm,
  scaleCols,
  solve,
  solveTriangular,
  sub,
  transpose,
} from '../../src/linalg/index.js';
import { expectRelClose, gaussian, logSpaced, orthonormal, RUNS, withSingularValues } from './helpers.js';

/** Backward error `|B - A X|_F / (|A|_F |X|_F + |B|_F)`: small for a stable solver, whatever the conditioning. */
function backwardError(a: Matrix, x: Matrix, b: Matrix): number {
  return norm(sub(b, matmul(a, x))) / (norm(a) * norm(x) + norm(b));
}

const system = fc.record({
  n: fc.integer({ min: 1, max: 80 }),
  r: fc.integer({ min: 1, max: 4 }),
  cond: fc.constantFrom(1e1, 1e4, 1e8),
  seed: fc.nat(),
});

function triangle(a: Matrix, lower: boolean, diagonal: number): Matrix {
  const n = a.rows;
  const t = matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++)
      if (lower ? j < i : j > i) t.data[i * n + j] = a.data[i * n + j] / Math.sqrt(n);
    t.data[i * n + i] = diagonal + Math.abs(a.data[i * n + i]);
  }
  return t;
}

describe('solves', () => {
  it('triangular solves (lower/upper, plain/transposed, unit diagonal): backward error <= 1e-14', () => {
    fc.assert(
      fc.property(system, fc.boolean(), fc.boolean(), fc.boolean(), ({ n, r, seed }, lower, trans, unit) => {
        const t = triangle(gaussian(n, n, seed), lower, 1);
        const b = gaussian(n, r, seed + 1);
        const x = solveTriangular(t, b, { lower, transpose: trans, unitDiagonal: unit });
        const effective = unit
          ? (() => {
              const u = matrix(n, n, t.data.slice());
              for (let i = 0; i < n; i++) u.data[i * n + i] = 1;
              return u;
            })()
          : t;
        expect(backwardError(trans ? transpose(effective) : effective, x, b)).toBeLessThan(1e-14);
      }),
      RUNS,
    );
  });

  it('LU with partial pivoting: P A = L U (rel. 1e-13) and solve backward error <= 1e-14, up to cond 1e8', () => {
    fc.assert(
      fc.property(system, ({ n, r, cond, seed }) => {
        const a = withSingularValues(n, n, logSpaced(n, cond), seed);
        const f = lu(a);
        const L = matrix(n, n);
        const U = matrix(n, n);
        const pa = matrix(n, n);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            const v = f.lu.data[i * n + j];
            if (j < i) L.data[i * n + j] = v;
            else U.data[i * n + j] = v;
            pa.data[i * n + j] = a.data[f.perm[i] * n + j];
          }
          L.data[i * n + i] = 1;
        }
        expectRelClose(matmul(L, U), pa, 1e-13);
        const b = gaussian(n, r, seed + 2);
        expect(backwardError(a, luSolve(f, b), b)).toBeLessThan(1e-14);
        expect(backwardError(a, solve(a, b), b)).toBeLessThan(1e-14);
      }),
      RUNS,
    );
  });

  it('Cholesky solve of SPD systems: backward error <= 1e-14, vector right-hand sides stay vectors', () => {
    fc.assert(
      fc.property(system, ({ n, cond, seed }) => {
        const q = orthonormal(n, n, seed);
        const a = matmul(scaleCols(q, logSpaced(n, cond)), q, { transB: true });
        for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a.data[j * n + i] = a.data[i * n + j];
        const b = gaussian(n, 1, seed + 3).data;
        const x = choleskySolve(cholesky(a).L, b);
        expect(x).toBeInstanceOf(Float64Array);
        expect(backwardError(a, matrix(n, 1, x), matrix(n, 1, b))).toBeLessThan(1e-14);
      }),
      RUNS,
    );
  });

  it('reports singular systems and bad right-hand sides by name and shape', () => {
    expect(() => lu(matrix(2, 2, [1, 2, 2, 4]))).toThrow(
      /lu: matrix is singular to working precision \(pivot 1/,
    );
    expect(() => solve(matrix(3, 3), new Float64Array(3))).toThrow(LinalgError);
    expect(() => solveTriangular(matrix(2, 2, [1, 0, 1, 0]), new Float64Array(2))).toThrow(
      /solveTriangular: matrix is singular \(zero diagonal entry at 1\) \(shape 2x2\)/,
    );
    expect(() => solve(matrix(2, 2, [1, 0, 0, 1]), new Float64Array(3))).toThrow(
      /right-hand side has 3 rows/,
    );
    expect(() => solve(matrix(2, 2, [1, 0, 0, 1]), Float64Array.from([1, Number.NaN]))).toThrow(
      /right-hand side has NaN at \(1, 0\)/,
    );
  });
});
