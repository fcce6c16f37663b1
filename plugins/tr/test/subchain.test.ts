import { linalg } from '@lowrank/core';
import { randomNdArray } from '@lowrank/core/testing';
import { permuteAxes } from '@lowrank/tt';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TrCores } from '../src/index.js';
import { subchainGram, subchainProjection } from '../src/subchain.js';
import { randomRing, relativeError, seedArb } from './helpers.js';

/** The design matrix of core `k` by its definition: row `p = (i_{k+1} .. i_{k-1})`, column `(a, b)`, entry `(G_{k+1}[:, i_{k+1}, :] ... G_{k-1}[:, i_{k-1}, :])[b, a]`. */
function design(cores: TrCores, k: number): linalg.Matrix {
  const d = cores.length;
  const others = Array.from({ length: d - 1 }, (_, j) => (k + 1 + j) % d);
  const [rk, , rk1] = cores[k].shape;
  const rows = others.reduce((p, j) => p * cores[j].shape[1], 1);
  const out = linalg.zeros(rows, rk * rk1);
  for (let p = 0; p < rows; p++) {
    // Multi-index over the other modes, the last fastest.
    const idx: number[] = [];
    let rest = p;
    for (let t = others.length - 1; t >= 0; t--) {
      const n = cores[others[t]].shape[1];
      idx[t] = rest % n;
      rest = Math.floor(rest / n);
    }
    let m = linalg.eye(rk1);
    others.forEach((j, t) => {
      const [r, n, s] = cores[j].shape;
      const slice = linalg.zeros(r, s);
      for (let x = 0; x < r; x++)
        for (let y = 0; y < s; y++) slice.data[x * s + y] = cores[j].data[(x * n + idx[t]) * s + y];
      m = linalg.matmul(m, slice);
    });
    for (let a = 0; a < rk; a++)
      for (let b = 0; b < rk1; b++) out.data[p * rk * rk1 + a * rk1 + b] = m.data[b * rk + a];
  }
  return out;
}

const ringCase = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })), {
    minLength: 2,
    maxLength: 4,
  })
  .chain((cores) => fc.tuple(fc.constant(cores), fc.integer({ min: 0, max: cores.length - 1 }), seedArb));

describe('TR-ALS normal equations', () => {
  it('subchainGram = D_k^T D_k and subchainProjection = D_k^T X_k with D_k built by its definition (rel. 1e-12)', () => {
    fc.assert(
      fc.property(ringCase, ([spec, k, seed]) => {
        const modes = spec.map((c) => c[0] + 1);
        const ranks = spec.map((c) => c[1]);
        const d = modes.length;
        const cores = randomRing(modes, ranks, seed);
        const x = randomNdArray(modes, seed + 1);
        const dk = design(cores, k);
        // X_k: rows (i_{k+1} .. i_{k-1}), columns i_k.
        const xk = permuteAxes(
          x,
          modes.map((_, j) => (k + 1 + j) % d),
        );
        const xkMatrix = linalg.matrix(x.data.length / modes[k], modes[k], xk.data);
        const rotated = permuteAxes(
          x,
          modes.map((_, j) => (k + j) % d),
        ).data;
        expect(
          relativeError(linalg.matmul(dk, dk, { transA: true }).data, subchainGram(cores, k).data),
        ).toBeLessThan(1e-12);
        expect(
          relativeError(
            linalg.matmul(dk, xkMatrix, { transA: true }).data,
            subchainProjection(cores, k, rotated).data,
          ),
        ).toBeLessThan(1e-12);
      }),
      { numRuns: 100 },
    );
  });
});
