import { linalg } from '@lowrank/core';

/** Below this `min pivot^2 / max diagonal` the Cholesky route is trusted no more. */
const CONDITION_LIMIT = 1e-12;

/**
 * `M V^+` for a symmetric positive semidefinite `V` (the Hadamard product of Grams):
 * the least-squares factor update of ALS. Cholesky when `V` is comfortably definite,
 * otherwise the pseudo-inverse. No jitter: a regularised solve is not the exact
 * minimiser, and only the exact one keeps the ALS error from rising.
 */
export function solveNormalEquations(m: linalg.Matrix, v: linalg.Matrix): linalg.Matrix {
  const n = v.rows;
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, v.data[i * n + i]);
  if (maxDiag > 0) {
    try {
      const { L } = linalg.cholesky(v);
      let minPivot = Number.POSITIVE_INFINITY;
      for (let i = 0; i < n; i++) minPivot = Math.min(minPivot, L.data[i * n + i]);
      if (minPivot * minPivot > CONDITION_LIMIT * maxDiag) {
        // With more rows than columns, inverting V once and multiplying is cheaper than
        // two triangular solves per row, and runs at the speed of the blocked product.
        if (m.rows > n) return linalg.matmul(m, linalg.choleskySolve(L, linalg.eye(n)));
        return linalg.transpose(linalg.choleskySolve(L, linalg.transpose(m)));
      }
    } catch (e) {
      if (!(e instanceof linalg.LinalgError)) throw e;
    }
  }
  return linalg.matmul(m, linalg.pinv(v));
}
