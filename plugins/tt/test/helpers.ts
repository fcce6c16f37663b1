import { randomNdArray } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import type { TtCores } from '../src/index.js';

/** Random TT cores over `modes` with interior ranks `ranks`. */
export function randomTt(modes: readonly number[], ranks: readonly number[], seed: number): TtCores {
  const r = [1, ...ranks, 1];
  return modes.map((n, k) => randomNdArray([r[k], n, r[k + 1]], seed + 7919 * k));
}

export function frobenius(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s) / Math.max(frobenius(a), 1e-300);
}

/** Modes of small tensors (2-5 modes, sizes 1-5). */
export const modesArb = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 5 });

/** Modes with ranks inside the TT bounds. */
export const modesAndRanksArb = modesArb.chain((modes) => {
  const total = modes.reduce((p, n) => p * n, 1);
  let left = 1;
  const bounds = modes.slice(0, -1).map((n) => {
    left *= n;
    return Math.min(left, total / left);
  });
  return fc.tuple(fc.constant(modes), fc.tuple(...bounds.map((b) => fc.integer({ min: 1, max: b }))));
});

export const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });
