import { matmul, reshape, type Tensor, transpose } from '@lowrank/core';

/**
 * TT-matrix cores `first..last` merged into one core, as a `TtLinear` child's weight:
 * `weights[k]` is core `k` `[r_k, m_k, n_k, r_{k+1}]` stored as `[r_k m_k, n_k r_{k+1}]`, and
 * the result is `[r_first (m_first..m_last), (n_first..n_last) r_{last+1}]`. Differentiable;
 * call it inside a tidy scope.
 */
export function mergeTtCores(
  weights: readonly Tensor[],
  outModes: readonly number[],
  inModes: readonly number[],
  r: readonly number[],
  first: number,
  last: number,
): Tensor {
  let m = outModes[first];
  let n = inModes[first];
  // acc: [(r_first, M, N), r_k] with M, N the output and input modes merged so far.
  let acc = reshape(weights[first], [r[first] * m * n, r[first + 1]]);
  for (let k = first + 1; k <= last; k++) {
    const [mk, nk] = [outModes[k], inModes[k]];
    const product = matmul(acc, reshape(weights[k], [r[k], mk * nk * r[k + 1]]));
    // [(r_first, M), N, m_k, (n_k, r_{k+1})] -> [(r_first, M), m_k, N, (n_k, r_{k+1})]: the axes that
    // stay together merged, so the copy runs over rows of n_k r_{k+1} (none when N or m_k is 1).
    const moved =
      n === 1 || mk === 1
        ? product
        : transpose(reshape(product, [r[first] * m, n, mk, nk * r[k + 1]]), [0, 2, 1, 3]);
    m *= mk;
    n *= nk;
    acc = reshape(moved, [r[first] * m * n, r[k + 1]]);
  }
  return reshape(acc, [r[first] * m, n * r[last + 1]]);
}
