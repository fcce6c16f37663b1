import { type Engine, matmul, reshape, type Tensor } from '@lowrank/core';

/**
 * A rank-`r` SVD of a layer's weight matrix `W_mat` (`O x P`, `P = I*Kh*Kw` in
 * im2col order; `O x I` for a linear layer), `W_mat ~ u v`. The singular values are
 * split evenly between the two sides, so both factors have the same scale:
 * `u = U_r sqrt(S_r)` (`O x r`) and `v = sqrt(S_r) V_r^T` (`r x P`).
 */
export interface SvdFactors {
  /** `O x r`: the left singular vectors scaled by the square roots of the singular values. */
  u: Tensor;
  /** `r x P`: the right singular vectors, transposed, scaled likewise. */
  v: Tensor;
  /** The `r` leading singular values, decreasing. */
  s: Tensor;
  /** The weight's shape (`[O, I]` or `[O, I, Kh, Kw]`), which `reconstruct` returns. */
  weightShape: readonly number[];
}

/** The rank of the factors. */
export function svdRank(factors: SvdFactors): number {
  return factors.s.shape[0];
}

/** `u v`, reshaped to the weight's shape. */
export function reconstructSvd(engine: Engine, factors: SvdFactors): Tensor {
  return engine.tidy(() => reshape(matmul(factors.u, factors.v), factors.weightShape));
}

/** Frees the factor tensors. */
export function disposeSvd(factors: SvdFactors): void {
  for (const t of [factors.u, factors.v, factors.s]) t.dispose();
}
