import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fromArrays,
  gram,
  khatriRao,
  kron,
  LinalgError,
  type Matrix,
  matmul,
  toArrays,
} from '../../src/linalg/index.js';
import { expectRelClose, gaussian } from './helpers.js';

const small = fc.integer({ min: 1, max: 6 });

describe('Kronecker and Khatri-Rao products', () => {
  it('kron follows kron(A, B)[(i, k), (j, l)] = A[i, j] B[k, l] on a worked example', () => {
    const a = fromArrays([
      [1, 2],
      [3, 4],
    ]);
    const b = fromArrays([[0, 5, -1]]);
    expect(toArrays(kron(a, b))).toEqual([
      [0, 5, -1, 0, 10, -2],
      [0, 15, -3, 0, 20, -4],
    ]);
  });

  it('mixed product: kron(A, B) kron(C, D) = kron(AC, BD) (rel. 1e-13)', () => {
    fc.assert(
      fc.property(small, small, small, small, small, small, fc.nat(), (m, n, p, q, r, s, seed) => {
        const a = gaussian(m, n, seed);
        const b = gaussian(p, q, seed + 1);
        const c = gaussian(n, r, seed + 2);
        const d = gaussian(q, s, seed + 3);
        expectRelClose(matmul(kron(a, b), kron(c, d)), kron(matmul(a, c), matmul(b, d)), 1e-13);
      }),
      { numRuns: 50 },
    );
  });

  it("khatriRao: column r is kron of the factors' columns r, last index fastest", () => {
    fc.assert(
      fc.property(fc.array(small, { minLength: 1, maxLength: 4 }), small, fc.nat(), (rows, r, seed) => {
        const factors = rows.map((m, i) => gaussian(m, r, seed + i));
        const kr = khatriRao(factors);
        expect(kr.rows).toBe(rows.reduce((p, m) => p * m, 1));
        for (let c = 0; c < r; c++) {
          const cols: Matrix[] = factors.map((f) => ({
            rows: f.rows,
            cols: 1,
            data: Float64Array.from({ length: f.rows }, (_, i) => f.data[i * r + c]),
          }));
          const want = cols.reduce((acc, col) => kron(acc, col));
          for (let i = 0; i < kr.rows; i++) expect(kr.data[i * r + c]).toBeCloseTo(want.data[i], 13);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('KR(A, B)^T KR(A, B) = (A^T A) * (B^T B) elementwise (rel. 1e-13)', () => {
    const a = gaussian(7, 4, 1);
    const b = gaussian(5, 4, 2);
    const lhs = gram(khatriRao([a, b]));
    const ga = gram(a);
    const gb = gram(b);
    expectRelClose(lhs, { rows: 4, cols: 4, data: ga.data.map((x, i) => x * gb.data[i]) }, 1e-13);
  });

  it('rejects factors with different column counts, and an empty list', () => {
    expect(() => khatriRao([gaussian(2, 3, 1), gaussian(2, 4, 1)])).toThrow(LinalgError);
    expect(() => khatriRao([])).toThrow(/khatriRao: needs at least one factor/);
  });
});
