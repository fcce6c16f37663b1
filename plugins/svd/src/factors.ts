import { type Engine, linalg, matmul, reshape, type Tensor } from '@lowrank/core';
import type { SplitSvd } from './truncated-svd.js';

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

/** A float64 split SVD as factors in the dtype and on the engine of `weight`, for a layer of `weightShape`. */
export function svdFactorsOf(split: SplitSvd, weight: Tensor, weightShape: readonly number[]): SvdFactors {
  const { engine, dtype } = weight;
  return {
    u: linalg.fromMatrix(engine, split.u, dtype),
    v: linalg.fromMatrix(engine, split.v, dtype),
    s: linalg.fromNdArray(engine, linalg.ndarray([split.s.length], split.s), dtype),
    weightShape: [...weightShape],
  };
}
