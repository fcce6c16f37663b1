import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LinalgError,
  type Matrix,
  matmul,
  norm,
  randomizedSvd,
  scaleCols,
  sub,
  svd,
  svdTruncated,
} from '../../src/linalg/index.js';
import { expectOrthonormalColumns, expectRelClose, gaussian, withSingularValues } from './helpers.js';

function reconstruct({ U, s, V }: { U: Matrix; s: Float64Array; V: Matrix }): Matrix {
  return matmul(scaleCols(U, s), V, { transB: true });
}

/** The best rank-k error, sqrt(sum_{i >= k} s_i^2). */
function tail(s: Float64Array, k: number): number {
  let t = 0;
  for (let i = k; i < s.length; i++) t += s[i] * s[i];
  return Math.sqrt(t);
}

const decaying = fc.record({
  m: fc.integer({ min: 20, max: 80 }),
  n: fc.integer({ min: 20, max: 80 }),
  k: fc.integer({ min: 1, max: 10 }),
  decay: fc.constantFrom('geometric', 'polynomial'),
  seed: fc.nat(),
});

describe('truncated and randomized SVD', () => {
  it('randomized SVD error is within 1.5x of the optimal tail on decaying spectra; factors orthonormal (1e-10)', () => {
    fc.assert(
      fc.property(decaying, ({ m, n, k, decay, seed }) => {
        const p = Math.min(m, n);
        const s = Float64Array.from({ length: p }, (_, i) =>
          decay === 'geometric' ? 0.8 ** i : (i + 1) ** -2,
        );
        const a = withSingularValues(m, n, s, seed);
        const f = randomizedSvd(a, k, { seed });
        expectOrthonormalColumns(f.U, 1e-10);
        expectOrthonormalColumns(f.V, 1e-10);
        const err = norm(sub(a, reconstruct(f)));
        expect(err).toBeLessThanOrEqual(1.5 * tail(s, k) + 1e-12);
        for (let i = 0; i < k; i++) expect(Math.abs(f.s[i] - s[i])).toBeLessThanOrEqual(0.05 * s[i]);
      }),
      { numRuns: 40 },
    );
  });

  it('randomized SVD is reproducible for a seed and exact on matrices of rank <= k', () => {
    const a = gaussian(60, 40, 1);
    expect(randomizedSvd(a, 5, { seed: 3 }).s).toEqual(randomizedSvd(a, 5, { seed: 3 }).s);
    const low = matmul(gaussian(50, 4, 2), gaussian(4, 70, 3));
    expectRelClose(reconstruct(randomizedSvd(low, 4, { powerIters: 0 })), low, 1e-12);
  });

  it('every method agrees with the full SVD on the top k of a well-separated spectrum (rel. 1e-8)', () => {
    for (const [m, n] of [
      [30, 400],
      [400, 30],
      [50, 60],
    ]) {
      const s = Float64Array.from({ length: Math.min(m, n) }, (_, i) => 2 ** -i);
      const a = withSingularValues(m, n, s, m);
      const best = reconstruct(svdTruncated(a, 6, { method: 'full' }));
      for (const method of ['auto', 'gram', 'randomized'] as const) {
        const f = svdTruncated(a, 6, { method });
        expect([f.U.cols, f.s.length, f.V.cols]).toEqual([6, 6, 6]);
        expectOrthonormalColumns(f.U, 1e-10);
        expectOrthonormalColumns(f.V, 1e-10);
        expectRelClose(reconstruct(f), best, 1e-8);
      }
    }
  });

  it('auto on a very wide matrix with a steep tail falls back to the full SVD and stays exact (rel. 1e-10)', () => {
    const s = Float64Array.from({ length: 20 }, (_, i) => 10 ** -i);
    const a = withSingularValues(20, 200, s, 5);
    const f = svdTruncated(a, 15);
    const exact = svd(a);
    for (let i = 0; i < 15; i++)
      expect(Math.abs(f.s[i] - exact.s[i])).toBeLessThanOrEqual(1e-10 * exact.s[0]);
    expectOrthonormalColumns(f.U, 1e-10);
  });

  it('the Gram route keeps orthonormal factors for rank-deficient and zero matrices (1e-10)', () => {
    const low = matmul(gaussian(10, 2, 1), gaussian(2, 120, 2));
    const f = svdTruncated(low, 5, { method: 'gram' });
    expectOrthonormalColumns(f.U, 1e-10);
    expectOrthonormalColumns(f.V, 1e-10);
    expectRelClose(reconstruct(f), low, 1e-10);
    const z = svdTruncated({ rows: 3, cols: 40, data: new Float64Array(120) }, 2, { method: 'gram' });
    expect(Array.from(z.s)).toEqual([0, 0]);
    expectOrthonormalColumns(z.V, 1e-10);
  });

  it('rejects a rank outside [1, min(m, n)], unknown methods and NaN input', () => {
    const a = gaussian(5, 4, 1);
    expect(() => svdTruncated(a, 0)).toThrow(/svdTruncated: rank 0 is not in \[1, 4\] \(shape 5x4\)/);
    expect(() => svdTruncated(a, 5)).toThrow(LinalgError);
    expect(() => svdTruncated(a, 2, { method: 'magic' as never })).toThrow(/unknown method 'magic'/);
    expect(() => randomizedSvd({ rows: 1, cols: 2, data: Float64Array.from([Number.NaN, 1]) }, 1)).toThrow(
      /randomizedSvd: input has NaN/,
    );
  });
});
