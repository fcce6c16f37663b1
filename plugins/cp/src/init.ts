import { linalg, SeededRandom } from '@lowrank/core';
import type { CpModel } from './cp-model.js';

export type CpInit = 'svd' | 'random';

/**
 * Starting factors of modes 1..N-1, unit columns. Mode 0 needs none: the first ALS
 * update solves for it from the others.
 * - 'svd': the leading left singular vectors of each unfolding (through the
 *   eigendecomposition of its small `I_n x I_n` Gram matrix, never a full SVD of a
 *   wide unfolding), with seeded Gaussian columns appended when `R > I_n`;
 * - 'random': seeded Gaussian entries.
 */
export function initialFactors(x: linalg.NdArray, rank: number, init: CpInit, seed: number): linalg.Matrix[] {
  const rng = new SeededRandom(seed);
  return x.shape.slice(1).map((size, k) => {
    const f = linalg.zeros(size, rank);
    const leading = init === 'svd' ? Math.min(rank, size) : 0;
    if (leading > 0) {
      const { vectors } = linalg.eigh(linalg.gram(linalg.unfold(x, k + 1), 'AAt'));
      // eigh sorts ascending: the leading vectors are the last columns.
      for (let j = 0; j < leading; j++) {
        for (let i = 0; i < size; i++) f.data[i * rank + j] = vectors.data[i * size + (size - 1 - j)];
      }
    }
    for (let j = leading; j < rank; j++) {
      for (let i = 0; i < size; i++) f.data[i * rank + j] = rng.normal();
    }
    return unitColumns(f);
  });
}

/** The ALS start: `initialFactors` for modes 1..N-1, a zero mode 0 (solved for first), unit weights. */
export function initialModel(x: linalg.NdArray, rank: number, init: CpInit, seed: number): CpModel {
  return {
    lambda: new Float64Array(rank).fill(1),
    factors: [linalg.zeros(x.shape[0], rank), ...initialFactors(x, rank, init, seed)],
  };
}

function unitColumns(f: linalg.Matrix): linalg.Matrix {
  for (let j = 0; j < f.cols; j++) {
    const norm = linalg.vecNorm(f.data, j, f.rows, f.cols);
    if (norm > 0) for (let i = 0; i < f.rows; i++) f.data[i * f.cols + j] /= norm;
  }
  return f;
}
