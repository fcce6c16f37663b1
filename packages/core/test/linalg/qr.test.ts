import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinalgError, matmul, matrix, qr } from '../../src/linalg/index.js';
import { expectOrthonormalColumns, expectRelClose, gaussian, matrixCase, RUNS } from './helpers.js';

describe('qr', () => {
  it('Q R = A (rel. 1e-10), Q^T Q = I (abs. 1e-10), R exactly upper triangular, thin shapes', () => {
    fc.assert(
      fc.property(matrixCase(), ({ a }) => {
        const { Q, R } = qr(a);
        const k = Math.min(a.rows, a.cols);
        expect([Q.rows, Q.cols, R.rows, R.cols]).toEqual([a.rows, k, k, a.cols]);
        expectRelClose(matmul(Q, R), a, 1e-10);
        expectOrthonormalColumns(Q, 1e-10);
        for (let i = 0; i < R.rows; i++)
          for (let j = 0; j < Math.min(i, R.cols); j++) expect(R.data[i * R.cols + j]).toBe(0);
      }),
      RUNS,
    );
  });

  it('stays accurate across block boundaries on a 300x100 and a 100x300 matrix (rel. 1e-12)', () => {
    for (const [m, n] of [
      [300, 100],
      [100, 300],
    ]) {
      const a = gaussian(m, n, m);
      const { Q, R } = qr(a);
      expectRelClose(matmul(Q, R), a, 1e-12);
      expectOrthonormalColumns(Q, 1e-12);
    }
  });

  it('rejects NaN/Inf and empty input with the function name and shape', () => {
    expect(() => qr(matrix(2, 2, [1, Number.NaN, 0, 1]))).toThrow(LinalgError);
    expect(() => qr(matrix(2, 2, [1, Number.POSITIVE_INFINITY, 0, 1]))).toThrow(
      /qr: input has Infinity at \(0, 1\) \(shape 2x2\)/,
    );
    expect(() => qr(matrix(0, 3))).toThrow(/qr: empty matrix \(shape 0x3\)/);
  });
});
