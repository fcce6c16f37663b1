import type { linalg } from '@lowrank/core';
import { permuteAxes, reshapeArray } from './permute.js';

const product = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

/** `[0, d, 1, d+1, ...]`: interleaves the row and column modes of a tensorized matrix. */
function interleave(d: number): number[] {
  return Array.from({ length: 2 * d }, (_, j) => (j % 2 === 0 ? j / 2 : d + (j - 1) / 2));
}

/**
 * A matrix `W (M x N)`, `M = prod m_k`, `N = prod n_k`, as the tensor of the TT-matrix format
 * (Novikov 2015): reshaped to `(m_1..m_d, n_1..n_d)`, permuted to `(m_1, n_1, ..., m_d, n_d)`
 * and reshaped to `(m_1 n_1, ..., m_d n_d)`.
 */
export function tensorizeMatrix(
  w: linalg.NdArray,
  outModes: readonly number[],
  inModes: readonly number[],
): linalg.NdArray {
  const d = outModes.length;
  const t = permuteAxes(reshapeArray(w, [...outModes, ...inModes]), interleave(d));
  return reshapeArray(
    t,
    outModes.map((m, k) => m * inModes[k]),
  );
}

/** The inverse of `tensorizeMatrix`: the `M x N` matrix. */
export function matrixFromTensorized(
  t: linalg.NdArray,
  outModes: readonly number[],
  inModes: readonly number[],
): linalg.NdArray {
  const d = outModes.length;
  const pairs = outModes.flatMap((m, k) => [m, inModes[k]]);
  // The inverse of the interleaving: the even axes (rows) first, then the odd ones.
  const perm = [
    ...Array.from({ length: d }, (_, k) => 2 * k),
    ...Array.from({ length: d }, (_, k) => 2 * k + 1),
  ];
  return reshapeArray(permuteAxes(reshapeArray(t, pairs), perm), [product(outModes), product(inModes)]);
}

/** A conv kernel `O x I x Kh x Kw` as the `O x K x I` tensor (`K = Kh Kw`, kernel positions row-major). */
export function convToOKI(w: linalg.NdArray): linalg.NdArray {
  const [o, i, kh, kw] = w.shape;
  return reshapeArray(permuteAxes(w, [0, 2, 3, 1]), [o, kh * kw, i]);
}

/** The inverse of `convToOKI` (from any reshape of the `O x K x I` tensor): the kernel of `weightShape`. */
export function okiToConv(t: linalg.NdArray, weightShape: readonly number[]): linalg.NdArray {
  const [o, i, kh, kw] = weightShape;
  return permuteAxes(reshapeArray(t, [o, kh, kw, i]), [0, 3, 1, 2]);
}
