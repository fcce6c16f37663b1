import { linalg, type Metric } from '@lowrank/core';

/**
 * The relative error of the best rank-`r` SVD of a weight in its metric, for every
 * `r = 0..min(O, P)`, from one SVD: with `M = W_mat` (Frobenius) or `W_mat L` (whitened,
 * `L L^T = Sigma`) and singular values `s`, the optimum (Eckart-Young; SVD-Sigma for the
 * whitened metric) is `sqrt(sum_{i>r} s_i^2 / sum_i s_i^2)`. Tails are summed from the
 * smallest value up, so small errors keep their relative accuracy.
 */
export async function svdErrors(weight: linalg.NdArray, metric: Metric): Promise<Float64Array> {
  if (metric.kind === 'weighted') {
    throw new Error('svdErrors: a weighted metric has no closed-form SVD error; measure it by decomposing');
  }
  const rows = weight.shape[0];
  let m: linalg.Matrix = { rows, cols: weight.data.length / rows, data: weight.data };
  if (metric.kind === 'whitened') m = linalg.matmul(m, await linalg.toMatrix(metric.factor));
  const s = linalg.svd(m).s;
  const tails = new Float64Array(s.length + 1);
  for (let r = s.length - 1; r >= 0; r--) tails[r] = tails[r + 1] + s[r] * s[r];
  const total = tails[0];
  return tails.map((tail) => (total === 0 ? 0 : Math.sqrt(tail / total)));
}
