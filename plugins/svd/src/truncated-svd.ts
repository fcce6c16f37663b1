import { linalg } from '@lowrank/core';

/** The rank-`r` truncated SVD of `W_mat` with the singular values split evenly: `W_mat ~ u v`. */
export interface SplitSvd {
  /** `U_r sqrt(S_r)`, `O x r`. */
  u: linalg.Matrix;
  /** `sqrt(S_r) V_r^T`, `r x P`. */
  v: linalg.Matrix;
  /** `S_r`, decreasing. */
  s: Float64Array;
}

/**
 * Truncated SVD through `linalg.svdTruncated`, which never forms a full SVD of a
 * wide conv unfolding: its `auto` route takes the small Gram matrix's
 * eigendecomposition for very wide or tall matrices (falling back to the economy
 * SVD when the kept singular values are too small for it), the randomized method
 * for large matrices at small ranks, and the economy SVD otherwise.
 */
export function splitTruncatedSvd(
  w: linalg.Matrix,
  rank: number,
  options: linalg.TruncatedSvdOptions,
): SplitSvd {
  const { U, s, V } = linalg.svdTruncated(w, rank, options);
  const root = s.map(Math.sqrt);
  return { u: linalg.scaleCols(U, root), v: linalg.transpose(linalg.scaleCols(V, root)), s };
}
