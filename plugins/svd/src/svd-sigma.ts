import { type LayerInfo, linalg, readWeight, readWhiteningFactor, type Tensor } from '@lowrank/core';
import { type SvdFactors, svdFactorsOf } from './factors.js';
import { matrixColumns } from './rank-spec.js';
import type { SplitSvd } from './truncated-svd.js';

/**
 * SVD-Sigma on matrices: the rank-`r` `What_mat` minimising `‖(W_mat - What_mat) L‖_F`
 * for an invertible lower-triangular `L` (`P x P`, `L L^T = Sigma`). With `W_mat L = U S
 * V^T`, `What_mat L` is the Eckart-Young truncation of `W_mat L`, so `What_mat = U_r S_r
 * V_r^T L^{-1}`; the singular values are split evenly as in the Frobenius factors:
 * `u = U_r sqrt(S_r)`, `v = sqrt(S_r) V_r^T L^{-1}` (a triangular solve, no inverse).
 */
export function splitSvdSigma(w: linalg.Matrix, l: linalg.Matrix, rank: number): SplitSvd {
  const { U, s, V } = linalg.svdTruncated(linalg.matmul(w, l), rank, { method: 'full' });
  const root = s.map(Math.sqrt);
  // (V_r^T L^{-1})^T = L^{-T} V_r: solve L^T Y = V_r.
  const y = linalg.solveTriangular(l, V, { lower: true, transpose: true });
  return { u: linalg.scaleCols(U, root), v: linalg.transpose(linalg.scaleCols(y, root)), s };
}

/**
 * SVD-Sigma of a layer's weight (the Sigma paper's optimal SVD in the whitened norm),
 * in `@lowrank/svd`'s factors format, so `svd().layer(...)` builds the layer. `factor`
 * is the whitening `L` (`P x P` lower triangular, e.g. the `'whitened'` metric of
 * `@lowrank/norm-sigma`). The weight is checked (dtype, shape, finite); the rank is not
 * (the plugin's `decompose` checks it against the rank spec first).
 */
export async function svdSigma(
  weight: Tensor,
  layer: LayerInfo,
  rank: number,
  factor: Tensor,
): Promise<SvdFactors> {
  const p = matrixColumns(layer);
  const l = await readWhiteningFactor('svd', layer, factor);
  for (let i = 0; i < p; i++) {
    const d = l.data[i * p + i];
    if (!(Number.isFinite(d) && d !== 0)) {
      throw new RangeError(
        `svd: the whitening factor for '${layer.name}' has ${d} on its diagonal at ${i}; it must be an invertible lower-triangular Cholesky factor`,
      );
    }
  }
  const w = linalg.matrix(layer.outChannels, p, (await readWeight('svd', layer, weight)).data);
  return svdFactorsOf(splitSvdSigma(w, l, rank), weight, layer.weightShape);
}
