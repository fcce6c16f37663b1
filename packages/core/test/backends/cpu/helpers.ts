import { expect } from 'vitest';
import { SeededRandom } from '../../../src/data/prng.js';
import type { FloatArray } from '../../../src/dtype.js';

export type FloatCtor = Float32ArrayConstructor | Float64ArrayConstructor;

/** Values uniform in [-1, 1), reproducible from the seed. */
export function randomArray(ctor: FloatCtor, size: number, seed: number): FloatArray {
  const rng = new SeededRandom(seed);
  const a = new ctor(size);
  for (let i = 0; i < size; i++) a[i] = 2 * rng.next() - 1;
  return a;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * |got - want| <= tol * scale elementwise, where scale is the given magnitude (for sums,
 * the sum of absolute terms) or 1. Reports the first offending index.
 */
export function expectClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: number,
  scale?: ArrayLike<number>,
): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const bound = tol * Math.max(1, scale ? scale[i] : 1);
    if (!(Math.abs(got[i] - want[i]) <= bound)) {
      expect.fail(`index ${i}: got ${got[i]}, want ${want[i]} (bound ${bound})`);
    }
  }
}

/** The dot-product (adjoint) identity <a, b> = <c, d> to `tol` relative to the sums' magnitudes. */
export function expectSameDot(a: FloatArray, b: FloatArray, c: FloatArray, d: FloatArray, tol: number): void {
  const lhs = dot(a, b);
  const rhs = dot(c, d);
  const scale = Math.max(absDot(a, b), absDot(c, d), Number.MIN_VALUE);
  expect(Math.abs(lhs - rhs) / scale).toBeLessThanOrEqual(tol);
}

function absDot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] * b[i]);
  return s;
}
