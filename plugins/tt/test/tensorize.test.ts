import { linalg } from '@lowrank/core';
import { randomNdArray } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  balancedFactors,
  convToOKI,
  matrixFromTensorized,
  okiToConv,
  permuteAxes,
  tensorizeMatrix,
} from '../src/index.js';
import { seedArb } from './helpers.js';

const product = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

describe('tensorization helpers', () => {
  it('balancedFactors: d factors in increasing order whose product is n, with the smallest possible largest factor', () => {
    expect(balancedFactors(4096, 4)).toEqual([8, 8, 8, 8]);
    expect(balancedFactors(400, 3)).toEqual([5, 8, 10]);
    expect(balancedFactors(7, 2)).toEqual([1, 7]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 4 }), (n, d) => {
        const f = balancedFactors(n, d);
        expect(f).toHaveLength(d);
        expect(product(f)).toBe(n);
        expect([...f].sort((a, b) => a - b)).toEqual(f);
        // No factorisation has a smaller largest factor: every m below it fails to cover n with d factors <= m.
        const coverable = (rest: number, left: number, m: number): boolean =>
          left === 0
            ? rest === 1
            : Array.from({ length: m }, (_, i) => i + 1).some(
                (g) => rest % g === 0 && coverable(rest / g, left - 1, m),
              );
        if (f[d - 1] > 1) expect(coverable(n, d, f[d - 1] - 1)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('permuteAxes matches index arithmetic on random shapes and permutations', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 5 }),
        seedArb,
        (shape, seed) => {
          const x = randomNdArray(shape, seed);
          const perm = shape
            .map((_, i) => i)
            .sort((a, b) => ((a * 7919 + seed) % 13) - ((b * 7919 + seed) % 13));
          const y = permuteAxes(x, perm);
          expect(y.shape).toEqual(perm.map((p) => shape[p]));
          const strides = shape.map((_, i) => product(shape.slice(i + 1)));
          for (let flat = 0; flat < y.data.length; flat++) {
            let rest = flat;
            let src = 0;
            for (let j = y.shape.length - 1; j >= 0; j--) {
              src += (rest % y.shape[j]) * strides[perm[j]];
              rest = Math.floor(rest / y.shape[j]);
            }
            expect(y.data[flat]).toBe(x.data[src]);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('tensorizeMatrix puts W[(i_1..i_d), (j_1..j_d)] at mode indices (i_k n_k + j_k) and matrixFromTensorized inverts it', () => {
    const [m, n] = [
      [2, 3, 2],
      [3, 1, 4],
    ];
    const w = randomNdArray([12, 12], 3);
    const t = tensorizeMatrix(w, m, n);
    expect(t.shape).toEqual([6, 3, 8]);
    // Row (i1, i2, i3) = (1, 2, 0), column (j1, j2, j3) = (2, 0, 3).
    const row = (1 * 3 + 2) * 2 + 0;
    const col = (2 * 1 + 0) * 4 + 3;
    expect(t.data[((1 * 3 + 2) * 3 + (2 * 1 + 0)) * 8 + (0 * 4 + 3)]).toBe(w.data[row * 12 + col]);
    expect(matrixFromTensorized(t, m, n).data).toEqual(w.data);
  });

  it('convToOKI is W[o, i, kh, kw] -> T[o, kh*Kw + kw, i] and okiToConv inverts it', () => {
    const w = randomNdArray([3, 4, 2, 3], 5);
    const t = convToOKI(w);
    expect(t.shape).toEqual([3, 6, 4]);
    expect(t.data[(2 * 6 + (1 * 3 + 2)) * 4 + 3]).toBe(w.data[((2 * 4 + 3) * 2 + 1) * 3 + 2]);
    expect(okiToConv(linalg.ndarray([3, 6, 2, 2], t.data), [3, 4, 2, 3]).data).toEqual(w.data);
  });
});
