import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fold,
  khatriRao,
  LinalgError,
  type Matrix,
  matmul,
  modeProduct,
  multiModeProduct,
  type NdArray,
  ndarray,
  scaleCols,
  unfold,
} from '../../src/linalg/index.js';
import { expectRelClose, gaussian } from './helpers.js';

const shapeArb = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 });

function randomTensor(shape: number[], seed: number): NdArray {
  const size = shape.reduce((p, s) => p * s, 1);
  return ndarray(shape, gaussian(1, size, seed).data);
}

/** Entry at a multi-index, row-major. */
function at(x: NdArray, idx: number[]): number {
  let flat = 0;
  for (let m = 0; m < idx.length; m++) flat = flat * x.shape[m] + idx[m];
  return x.data[flat];
}

function* indices(shape: number[]): Generator<number[]> {
  const idx = shape.map(() => 0);
  const size = shape.reduce((p, s) => p * s, 1);
  for (let c = 0; c < size; c++) {
    yield [...idx];
    for (let m = shape.length - 1; m >= 0; m--) {
      if (++idx[m] < shape[m]) break;
      idx[m] = 0;
    }
  }
}

describe('unfold, fold and mode products', () => {
  it('unfold(X, n)[i_n, j] = X[i] with j running over the other modes in order, last fastest (moveaxis + reshape)', () => {
    fc.assert(
      fc.property(shapeArb, fc.nat(), fc.nat(), (shape, mode0, seed) => {
        const mode = mode0 % shape.length;
        const x = randomTensor(shape, seed);
        const u = unfold(x, mode);
        const rest = shape.filter((_, m) => m !== mode);
        for (const idx of indices(shape)) {
          let col = 0;
          idx.forEach((v, m) => {
            if (m !== mode) col = col * shape[m] + v;
          });
          expect(u.data[idx[mode] * u.cols + col]).toBe(at(x, idx));
        }
        expect(u.cols).toBe(rest.reduce((p, s) => p * s, 1));
      }),
      { numRuns: 60 },
    );
  });

  it('fold inverts unfold exactly, for every mode', () => {
    fc.assert(
      fc.property(shapeArb, fc.nat(), (shape, seed) => {
        const x = randomTensor(shape, seed);
        for (let mode = 0; mode < shape.length; mode++) {
          const back = fold(unfold(x, mode), mode, shape);
          expect(back.shape).toEqual(shape);
          expect(back.data.every((v, i) => v === x.data[i])).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('unfold(X x_n U, n) = U unfold(X, n), also with the transposed factor (rel. 1e-13)', () => {
    fc.assert(
      fc.property(shapeArb, fc.nat(), fc.integer({ min: 1, max: 6 }), fc.nat(), (shape, mode0, j, seed) => {
        const mode = mode0 % shape.length;
        const x = randomTensor(shape, seed);
        const u = gaussian(j, shape[mode], seed + 1);
        const y = modeProduct(x, u, mode);
        expect(y.shape[mode]).toBe(j);
        expectRelClose(unfold(y, mode), matmul(u, unfold(x, mode)), 1e-13);
        const ut: Matrix = { rows: u.cols, cols: u.rows, data: new Float64Array(u.data.length) };
        for (let r = 0; r < u.rows; r++)
          for (let c = 0; c < u.cols; c++) ut.data[c * u.rows + r] = u.data[r * u.cols + c];
        expectRelClose(unfold(modeProduct(x, ut, mode, { transpose: true }), mode), unfold(y, mode), 1e-13);
      }),
      { numRuns: 60 },
    );
  });

  it('X_(n) = A_n diag(lambda) KR(A_m, m != n, increasing m)^T for random CP tensors (rel. 1e-12)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        (shape, rank, seed) => {
          const factors = shape.map((s, m) => gaussian(s, rank, seed + m));
          const lambda = gaussian(1, rank, seed + 99).data;
          // X[i] = sum_r lambda_r prod_m A_m[i_m, r]
          const x = ndarray(shape);
          let flat = 0;
          for (const idx of indices(shape)) {
            let v = 0;
            for (let r = 0; r < rank; r++) {
              let p = lambda[r];
              idx.forEach((i, m) => {
                p *= factors[m].data[i * rank + r];
              });
              v += p;
            }
            x.data[flat++] = v;
          }
          for (let n = 0; n < shape.length; n++) {
            const others = factors.filter((_, m) => m !== n);
            const want = matmul(scaleCols(factors[n], lambda), khatriRao(others), { transB: true });
            expectRelClose(unfold(x, n), want, 1e-12);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('multiModeProduct applies every given factor (order independent) and skips null modes (rel. 1e-13)', () => {
    const x = randomTensor([4, 3, 5, 2], 1);
    const u0 = gaussian(2, 4, 2);
    const u2 = gaussian(6, 5, 3);
    const got = multiModeProduct(x, [u0, null, u2]);
    const want = modeProduct(modeProduct(x, u0, 0), u2, 2);
    expect(got.shape).toEqual([2, 3, 6, 2]);
    expectRelClose(unfold(got, 0), unfold(want, 0), 1e-13);
  });

  it('rejects bad modes, sizes and shapes with the function name', () => {
    const x = randomTensor([2, 3], 1);
    expect(() => unfold(x, 2)).toThrow(/unfold: mode 2 is out of range for 2 modes \(shape 2x3\)/);
    expect(() => modeProduct(x, gaussian(4, 2, 1), 1)).toThrow(LinalgError);
    expect(() => fold(unfold(x, 0), 0, [3, 2])).toThrow(/fold: is not the mode-0 unfolding of shape 3x2/);
    expect(() => ndarray([2, 2], [1, 2, 3])).toThrow(/ndarray: expected 4 values, got 3/);
  });
});
