import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  eye,
  fromArrays,
  gram,
  LinalgError,
  type Matrix,
  matmul,
  matrix,
  matvec,
  norm,
  toArrays,
  transpose,
  vecNorm,
} from '../../src/linalg/index.js';
import { expectRelClose, gaussian } from './helpers.js';

function naive(a: Matrix, b: Matrix): Matrix {
  const out = matrix(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.cols; j++) {
      let s = 0;
      for (let p = 0; p < a.cols; p++) s += a.data[i * a.cols + p] * b.data[p * b.cols + j];
      out.data[i * b.cols + j] = s;
    }
  }
  return out;
}

function isSymmetric(a: Matrix): boolean {
  const t = transpose(a);
  return a.data.every((x, i) => x === t.data[i]);
}

const dims = fc.record({
  m: fc.integer({ min: 0, max: 70 }),
  k: fc.integer({ min: 0, max: 140 }),
  n: fc.integer({ min: 0, max: 70 }),
  seed: fc.nat(),
});

describe('matrix helpers', () => {
  it('matmul with and without transposes equals the naive triple loop (rel. 1e-13)', () => {
    fc.assert(
      fc.property(dims, fc.boolean(), fc.boolean(), ({ m, k, n, seed }, ta, tb) => {
        const a = gaussian(m, k, seed);
        const b = gaussian(k, n, seed + 1);
        const got = matmul(ta ? transpose(a) : a, tb ? transpose(b) : b, { transA: ta, transB: tb });
        expectRelClose(got, naive(a, b), 1e-13);
      }),
      { numRuns: 60 },
    );
  });

  it('gram gives A^T A and A A^T, exactly symmetric (rel. 1e-13)', () => {
    fc.assert(
      fc.property(dims, ({ m, k, seed }) => {
        const a = gaussian(m, k, seed);
        const ata = gram(a, 'AtA');
        const aat = gram(a, 'AAt');
        expectRelClose(ata, naive(transpose(a), a), 1e-13);
        expectRelClose(aat, naive(a, transpose(a)), 1e-13);
        expect(isSymmetric(ata) && isSymmetric(aat)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('matvec and its transpose agree with matmul', () => {
    const a = gaussian(7, 5, 3);
    const x = Float64Array.from([1, -2, 3, 0.5, 4]);
    expectRelClose(matrix(7, 1, matvec(a, x)), matmul(a, matrix(5, 1, x)), 1e-15);
    const y = Float64Array.from([1, 2, 3, 4, 5, 6, 7]);
    expectRelClose(
      matrix(5, 1, matvec(a, y, { trans: true })),
      matmul(a, matrix(7, 1, y), { transA: true }),
      1e-15,
    );
  });

  it('computes the Frobenius, 1, infinity and max norms, and vector norms without overflow', () => {
    const a = fromArrays([
      [1, -2],
      [-3, 4],
    ]);
    expect(norm(a)).toBeCloseTo(Math.sqrt(30), 14);
    expect(norm(a, 1)).toBe(6);
    expect(norm(a, Infinity)).toBe(7);
    expect(norm(a, 'max')).toBe(4);
    expect(vecNorm([3e200, 4e200])).toBeCloseTo(5e200, -186);
    expect(vecNorm([3e-200, 4e-200]) / 5e-200).toBeCloseTo(1, 14);
    expect(toArrays(eye(2, 3))).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
  });

  it('rejects mismatched shapes with the function name and shapes in the message', () => {
    expect(() => matmul(matrix(2, 3), matrix(2, 3))).toThrow(LinalgError);
    expect(() => matmul(matrix(2, 3), matrix(2, 3))).toThrow(
      /matmul: inner dimensions differ: 2x3 times 2x3/,
    );
    expect(() => matrix(2, 2, [1, 2, 3])).toThrow(/matrix: expected 4 values, got 3 \(shape 2x2\)/);
    expect(() => fromArrays([[1, 2], [3]])).toThrow(/fromArrays/);
  });
});
