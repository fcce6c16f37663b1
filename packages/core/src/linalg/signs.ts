/**
 * The sign convention for singular and eigen vectors, which are defined only
 * up to sign: the entry of largest magnitude of each column is made positive
 * (the first such entry on a tie), so results are a deterministic function of
 * the input.
 */
import type { Matrix } from './matrix.js';

/** +1 or -1 per column of `m`: the sign of its largest-magnitude entry (+1 for a zero column). */
export function largestEntrySigns(m: Matrix): Float64Array {
  const { rows, cols, data } = m;
  const best = new Float64Array(cols);
  const sign = new Float64Array(cols).fill(1);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const x = data[i * cols + j];
      if (Math.abs(x) > best[j]) {
        best[j] = Math.abs(x);
        sign[j] = x < 0 ? -1 : 1;
      }
    }
  }
  return sign;
}

/** Multiplies column j of `m` by `sign[j]`, in place. */
export function flipColumns(m: Matrix, sign: Float64Array): void {
  const { rows, cols, data } = m;
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] *= sign[j];
}
