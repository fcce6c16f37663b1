import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinalgError, lstsq, matmul, matrix, norm, pinv, sub, transpose } from '../../src/linalg/index.js';
import { expectRelClose, gaussian, matrixCase, RUNS } from './helpers.js';

describe('least squares and pseudo-inverse', () => {
  it('pinv satisfies the Penrose conditions A A+ A = A, A+ A A+ = A+ (rel. 1e-10) and symmetric projections', () => {
    fc.assert(
      fc.property(
        matrixCase().filter(({ kind }) => kind !== 'ill'),
        ({ a }) => {
          const p = pinv(a);
          expect([p.rows, p.cols]).toEqual([a.cols, a.rows]);
          expectRelClose(matmul(matmul(a, p), a), a, 1e-10);
          expectRelClose(matmul(matmul(p, a), p), p, 1e-10);
          const ap = matmul(a, p);
          const pa = matmul(p, a);
          expectRelClose(ap, transpose(ap), 1e-10, Math.max(1, norm(ap)));
          expectRelClose(pa, transpose(pa), 1e-10, Math.max(1, norm(pa)));
        },
      ),
      RUNS,
    );
  });

  it('A A+ A = A at cond 1e8 to rel. 1e-6 (the products in the check round at cond * eps ~ 2e-8)', () => {
    fc.assert(
      fc.property(
        matrixCase().filter(({ kind }) => kind === 'ill'),
        ({ a }) => expectRelClose(matmul(matmul(a, pinv(a)), a), a, 1e-6),
      ),
      { numRuns: 20 },
    );
  });

  it('lstsq gives the minimum-norm least-squares solution: A^T (A x - b) = 0 (rel. 1e-10) and x = A+ b', () => {
    fc.assert(
      fc.property(
        matrixCase().filter(({ kind }) => kind !== 'ill'),
        fc.integer({ min: 1, max: 3 }),
        ({ a }, r) => {
          const b = gaussian(a.rows, r, a.rows * 31 + r);
          const { x, rank, singularValues } = lstsq(a, b);
          expect(rank).toBeLessThanOrEqual(singularValues.length);
          const grad = matmul(a, sub(matmul(a, x), b), { transA: true });
          expect(norm(grad)).toBeLessThanOrEqual(
            1e-10 * Math.max(1, norm(a) ** 2 * norm(x) + norm(a) * norm(b)),
          );
          expectRelClose(x, matmul(pinv(a), b), 1e-10, Math.max(1e-300, norm(x)));
        },
      ),
      RUNS,
    );
  });

  it('solves an overdetermined consistent system exactly and reports rank; vector in, vector out', () => {
    const a = gaussian(40, 6, 1);
    const xTrue = Float64Array.from([1, -2, 3, -4, 5, -6]);
    const b = matmul(a, matrix(6, 1, xTrue)).data;
    const { x, rank } = lstsq(a, b);
    expect(x).toBeInstanceOf(Float64Array);
    expect(rank).toBe(6);
    for (let i = 0; i < 6; i++) expect(x[i]).toBeCloseTo(xTrue[i], 12);
    expect(lstsq(matrix(3, 2), new Float64Array(3)).rank).toBe(0);
  });

  it('rejects NaN and mismatched right-hand sides by name', () => {
    expect(() => lstsq(matrix(2, 2, [1, 0, 0, Number.NaN]), new Float64Array(2))).toThrow(
      /lstsq: input has NaN/,
    );
    expect(() => lstsq(matrix(2, 2), new Float64Array(3))).toThrow(LinalgError);
    expect(() => pinv(matrix(0, 2))).toThrow(/pinv: empty matrix/);
  });
});
