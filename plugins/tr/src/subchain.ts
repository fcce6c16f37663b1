import { linalg } from '@lowrank/core';
import { permuteAxes } from '@lowrank/tt';
import type { TrCores } from './tr-reconstruct.js';

/**
 * The normal equations of TR-ALS for core `k` without forming the design matrix `D_k`
 * (`prod_{j != k} n_j` rows by `R_k R_{k+1}` columns, the subchain of the other cores). With
 * `D_k[p, (a, b)] = (G_{k+1}[:, i_{k+1}, :] ... G_{k-1}[:, i_{k-1}, :])[b, a]`:
 * - `subchainGram` is `D_k^T D_k` as the product of the cores' transfer matrices
 *   `E_j = sum_i G_j[:, i, :] (x) G_j[:, i, :]` (cost `sum_j n_j R_j^2 R_{j+1}^2`, not
 *   `prod_{j != k} n_j (R_k R_{k+1})^2`);
 * - `subchainProjection` is `D_k^T X_k`, the tensor contracted with the cores one at a time
 *   from core `k-1` back to `k+1` (cost about `N R_{k-1} R_k` for the first, less after).
 */

/** `E[(r, r'), (s, s')] = sum_i G[r, i, s] G[r', i, s']` of a core `[R, n, S]`. */
function transferMatrix(core: linalg.NdArray): linalg.Matrix {
  const [r, n, s] = core.shape;
  const byMode = permuteAxes(core, [1, 0, 2]);
  const g = linalg.matmul(linalg.matrix(n, r * s, byMode.data), linalg.matrix(n, r * s, byMode.data), {
    transA: true,
  });
  const e = permuteAxes(linalg.ndarray([r, s, r, s], g.data), [0, 2, 1, 3]);
  return linalg.matrix(r * r, s * s, e.data);
}

/** `D_k^T D_k`, `(R_k R_{k+1}) x (R_k R_{k+1})`, rows and columns `(a, b)` with `a < R_k`, `b < R_{k+1}`. */
export function subchainGram(cores: TrCores, k: number): linalg.Matrix {
  const d = cores.length;
  let f = transferMatrix(cores[(k + 1) % d]);
  for (let j = 2; j < d; j++) f = linalg.matmul(f, transferMatrix(cores[(k + j) % d]));
  // f is [(b, b'), (a, a')].
  const [rk, rk1] = [cores[k].shape[0], cores[k].shape[2]];
  const gram = permuteAxes(linalg.ndarray([rk1, rk1, rk, rk], f.data), [2, 0, 3, 1]);
  return linalg.matrix(rk * rk1, rk * rk1, gram.data);
}

/**
 * `D_k^T X_k`, `(R_k R_{k+1}) x n_k`, from `xk`, the tensor's values with its modes in the
 * cyclic order `k, k+1, .., k-1`.
 */
export function subchainProjection(cores: TrCores, k: number, xk: Float64Array): linalg.Matrix {
  const d = cores.length;
  const [rk, nk, rk1] = cores[k].shape;
  // The last core of the subchain: X [(rows), n_j] times G_j as [n_j, (R_j, R_k)], then R_k to the front.
  let j = (k + d - 1) % d;
  const [rj, nj] = cores[j].shape;
  const first = permuteAxes(cores[j], [1, 0, 2]);
  const rows = xk.length / nj;
  const y = linalg.matmul(linalg.matrix(rows, nj, xk), linalg.matrix(nj, rj * rk, first.data));
  let t = permuteAxes(linalg.ndarray([rows, rj, rk], y.data), [2, 0, 1]).data;
  // t is [R_k, n_k, i_{k+1} .. i_{j-1}, R_j]: each earlier core takes (i_j, R_{j+1}) and leaves R_j.
  for (j = (j + d - 1) % d; j !== k; j = (j + d - 1) % d) {
    const [r, n, s] = cores[j].shape;
    t = linalg.matmul(linalg.matrix(t.length / (n * s), n * s, t), linalg.matrix(r, n * s, cores[j].data), {
      transB: true,
    }).data;
  }
  // t is [R_k, n_k, R_{k+1}]: to [(a, b), i].
  return linalg.matrix(rk * rk1, nk, permuteAxes(linalg.ndarray([rk, nk, rk1], t), [0, 2, 1]).data);
}
