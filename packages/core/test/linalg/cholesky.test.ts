import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cholesky,
  eye,
  gram,
  LinalgError,
  type Matrix,
  matmul,
  matrix,
  scaleCols,
} from '../../src/linalg/index.js';
import { expectRelClose, gaussian, logSpaced, orthonormal, RUNS } from './helpers.js';

function spd(n: number, cond: number, seed: number): Matrix {
  const q = orthonormal(n, n, seed);
  const a = matmul(scaleCols(q, logSpaced(n, cond)), q, { transB: true });
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a.data[j * n + i] = a.data[i * n + j];
  return a;
}

function expectLowerWithPositiveDiagonal(l: Matrix): void {
  for (let i = 0; i < l.rows; i++) {
    expect(l.data[i * l.cols + i]).toBeGreaterThan(0);
    for (let j = i + 1; j < l.cols; j++) expect(l.data[i * l.cols + j]).toBe(0);
  }
}

const spdCase = fc.record({
  n: fc.integer({ min: 1, max: 80 }),
  cond: fc.constantFrom(1, 1e3, 1e8),
  seed: fc.nat(),
});

describe('cholesky', () => {
  it('L L^T = A (rel. 1e-12) with L lower triangular, positive diagonal, for SPD A up to cond 1e8', () => {
    fc.assert(
      fc.property(spdCase, ({ n, cond, seed }) => {
        const a = spd(n, cond, seed);
        const { L, jitter } = cholesky(a);
        expect(jitter).toBe(0);
        expectLowerWithPositiveDiagonal(L);
        expectRelClose(matmul(L, L, { transB: true }), a, 1e-12);
      }),
      RUNS,
    );
  });

  it('factors a 200x200 Gram matrix across several blocks (rel. 1e-13)', () => {
    const a = gram(gaussian(220, 200, 4));
    const { L } = cholesky(a);
    expectRelClose(matmul(L, L, { transB: true }), a, 1e-13);
  });

  it('without jitter, a rank-deficient PSD matrix is an error naming the failing pivot', () => {
    const g = gaussian(30, 5, 1);
    const a = matmul(g, g, { transB: true });
    expect(() => cholesky(a)).toThrow(LinalgError);
    expect(() => cholesky(a)).toThrow(
      /cholesky: matrix is not positive definite \(pivot \d+ is .*\(shape 30x30\)/,
    );
  });

  it('with jitter, a PSD matrix of rank < n factors as L L^T = A + jitter I (rel. 1e-12), jitter in [1e-9, 1e-3] trace/n when needed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 60 }), fc.nat(), (n, seed) => {
        const r = 1 + (seed % (n - 1));
        const g = gaussian(n, r, seed);
        const a = matmul(g, g, { transB: true });
        const { L, jitter, relativeJitter } = cholesky(a, { jitter: true });
        let trace = 0;
        for (let i = 0; i < n; i++) trace += a.data[i * n + i];
        // Rounding can leave every pivot of a semidefinite matrix positive, so no jitter is a valid outcome.
        if (jitter !== 0) {
          expect(relativeJitter).toBeGreaterThanOrEqual(1e-9);
          expect(relativeJitter).toBeLessThanOrEqual(1e-3);
          expect(jitter).toBeCloseTo((relativeJitter * trace) / n, 12);
        }
        const shifted = a.data.slice();
        for (let i = 0; i < n; i++) shifted[i * n + i] += jitter;
        expectRelClose(matmul(L, L, { transB: true }), matrix(n, n, shifted), 1e-12);
      }),
      { numRuns: 30 },
    );
  });

  it('an exactly singular PSD matrix needs the smallest jitter, 1e-9 trace/n', () => {
    const a = matrix(3, 3, [1, 0, 1, 0, 2, 0, 1, 0, 1]);
    expect(() => cholesky(a)).toThrow(/pivot 2 is 0/);
    const { jitter, relativeJitter } = cholesky(a, { jitter: true });
    expect(relativeJitter).toBe(1e-9);
    expect(jitter).toBeCloseTo((1e-9 * 4) / 3, 20);
  });

  it('custom jitter range: { start, max } bounds the escalation', () => {
    const a = matrix(2, 2, [1, 1, 1, 1]);
    expect(cholesky(a, { jitter: { start: 1e-6, max: 1e-6 } }).relativeJitter).toBe(1e-6);
    const indefinite = matrix(2, 2, [2, 0, 0, -1]);
    expect(() => cholesky(indefinite, { jitter: { start: 1e-9, max: 1e-3 } })).toThrow(
      /even with jitter up to 0.001/,
    );
  });

  it('rejects the zero matrix even with jitter, and NaN, empty and non-square input', () => {
    expect(() => cholesky(matrix(3, 3), { jitter: true })).toThrow(/cholesky: .*cannot help/);
    expect(() => cholesky(matrix(2, 2, [1, 0, Number.NaN, 1]))).toThrow(
      /cholesky: input has NaN at \(1, 0\)/,
    );
    expect(() => cholesky(matrix(0, 0))).toThrow(/cholesky: empty matrix/);
    expect(() => cholesky(matrix(2, 3))).toThrow(/cholesky: matrix must be square/);
    expect(cholesky(eye(3)).L.data).toEqual(eye(3).data);
  });
});
