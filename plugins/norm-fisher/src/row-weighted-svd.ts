import { linalg } from '@lowrank/core';
import type { FisherStatistics } from './fisher-statistics.js';

/** A rank-r factorisation `What_mat = left right` (`O x r` times `r x P`), float64. */
export interface RowWeightedSvd {
  left: linalg.Matrix;
  right: linalg.Matrix;
}

/**
 * The row-wise Fisher closed form (FWSVD): with one weight `f_o` per output row, the rank-r
 * minimiser of `sum_o f_o ‖w_o - what_o‖^2` is `diag(sqrt f)^{-1} [diag(sqrt f) W_mat]_r`
 * (`[.]_r` the truncated SVD). Rows of zero weight are floored at `1e-12 max f` so that the
 * inverse exists; they are then approximated as cheaply as the rest allows.
 */
export function rowWeightedSvd(
  wMat: linalg.Matrix,
  rowWeights: ArrayLike<number>,
  rank: number,
): RowWeightedSvd {
  const { rows, cols } = wMat;
  if (rowWeights.length !== rows) {
    throw new RangeError(`rowWeightedSvd: ${rowWeights.length} row weights for a ${rows} x ${cols} matrix`);
  }
  let max = 0;
  for (let o = 0; o < rows; o++) {
    const f = rowWeights[o];
    if (!(f >= 0) || !Number.isFinite(f)) {
      throw new RangeError(
        `rowWeightedSvd: row weight ${o} is ${f}; weights must be finite and non-negative`,
      );
    }
    max = Math.max(max, f);
  }
  if (max === 0)
    throw new RangeError('rowWeightedSvd: every row weight is zero; the objective measures nothing');
  const scale = Float64Array.from({ length: rows }, (_, o) =>
    Math.sqrt(Math.max(rowWeights[o], 1e-12 * max)),
  );
  const scaled = linalg.matrix(
    rows,
    cols,
    wMat.data.map((v, i) => v * scale[Math.floor(i / cols)]),
  );
  const { U, s, V } = linalg.svdTruncated(scaled, rank);
  const left = linalg.matrix(rows, rank);
  for (let o = 0; o < rows; o++) {
    for (let k = 0; k < rank; k++) left.data[o * rank + k] = (U.data[o * U.cols + k] * s[k]) / scale[o];
  }
  return { left, right: linalg.transpose(linalg.sliceCols(V, 0, rank)) };
}

/** Each output row's total Fisher `f_o = sum_p F[o, p]` (the row weights of FWSVD). */
export function rowFisher(stats: FisherStatistics): Float64Array {
  const f = stats.fisher();
  const rows = stats.layer.weightShape[0];
  const cols = f.length / rows;
  return Float64Array.from({ length: rows }, (_, o) => {
    let s = 0;
    for (let p = 0; p < cols; p++) s += f[o * cols + p];
    return s;
  });
}
