import { randomNdArray } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import type { TrCores } from '../src/index.js';

/** Random ring cores over `modes` with ring ranks `ranks`. */
export function randomRing(modes: readonly number[], ranks: readonly number[], seed: number): TrCores {
  const d = modes.length;
  return modes.map((n, k) => randomNdArray([ranks[k], n, ranks[(k + 1) % d]], seed + 7919 * k));
}

export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  let t = 0;
  for (let i = 0; i < a.length; i++) {
    s += (a[i] - b[i]) ** 2;
    t += a[i] ** 2;
  }
  return Math.sqrt(s / Math.max(t, 1e-300));
}

export const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });

/** Ring modes (2-4 modes, sizes 2-6), a cut mode and ring ranks with R_s R_{s+1} within the cut's unfolding. */
export const ringArb = fc
  .array(fc.integer({ min: 2, max: 6 }), { minLength: 2, maxLength: 4 })
  .chain((modes) => {
    const d = modes.length;
    const total = modes.reduce((p, n) => p * n, 1);
    return fc.integer({ min: 0, max: d - 1 }).chain((start) => {
      const q = Math.floor(Math.sqrt(Math.min(modes[start], total / modes[start])));
      return fc
        .tuple(
          ...modes.map((_, k) => fc.integer({ min: 1, max: k === start || k === (start + 1) % d ? q : 4 })),
        )
        .map((ranks) => ({ modes, start, ranks }));
    });
  });
