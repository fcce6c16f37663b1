import { linalg } from '@lowrank/core';

/** How truncated SVDs are computed (`linalg.svdTruncated`'s route and its randomized settings). */
export interface SvdRoute {
  /** `'auto'` (default): Gram for very wide or tall unfoldings, randomized for large ones at small ranks, economy SVD otherwise. */
  method?: linalg.TruncatedMethod;
  seed?: number;
  oversample?: number;
  powerIters?: number;
}

/** `B ~ U (S V^T)` at the chosen rank: `U` (rows x rank, orthonormal columns) and `SV = diag(s) V^T` (rank x cols). */
export interface Truncation {
  U: linalg.Matrix;
  SV: linalg.Matrix;
  rank: number;
}

/**
 * The smallest rank `r` in `[1, cap]` whose discarded tail `sqrt(beyond^2 + sum_{cap >= i > r} s_i^2)`
 * is at most `delta` (`beyond^2` being the energy past the `cap` computed values); `cap` when
 * even that tail is larger.
 */
export function rankForTail(s: ArrayLike<number>, beyondSquared: number, cap: number, delta: number): number {
  const budget = delta * delta;
  let tail = beyondSquared;
  if (tail > budget) return cap;
  let r = cap;
  while (r > 1 && tail + s[r - 1] ** 2 <= budget) {
    tail += s[r - 1] ** 2;
    r--;
  }
  return r;
}

function squaredNorm(data: Float64Array): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i] * data[i];
  return s;
}

/** Wide unfoldings (cols at least this many times rows) go through the Gram matrix `B B^T`. */
const GRAM_ASPECT = 8;
/** Below this ratio to the largest, a kept singular value is blurred by squaring: redo with the SVD. */
const GRAM_MIN_RATIO = 1e-4;

/**
 * Truncated SVD of `b` at rank `cap` (at most `min(rows, cols)`), or, with `delta`, at the
 * smallest rank up to `cap` whose discarded tail is at most `delta`.
 *
 * A wide unfolding (the common case in TT-SVD: `r_{k-1} n_k` rows, the rest of the tensor as
 * columns) takes the eigendecomposition of the small `B B^T` for `U` and one product for
 * `SV = U^T B`, never orthonormalising the long side; when a kept singular value is below
 * `GRAM_MIN_RATIO` of the largest it falls back to `linalg.svdTruncated`.
 */
export function truncateSvd(
  b: linalg.Matrix,
  cap: number,
  delta: number | undefined,
  route: SvdRoute = {},
): Truncation {
  const wide = b.cols >= GRAM_ASPECT * b.rows && (route.method ?? 'auto') === 'auto';
  return (wide && gramTruncation(b, cap, delta)) || svdTruncation(b, cap, delta, route);
}

function gramTruncation(b: linalg.Matrix, cap: number, delta: number | undefined): Truncation | null {
  const p = b.rows;
  const { values, vectors } = linalg.eigh(linalg.gram(b, 'AAt'));
  // eigh is ascending; s_i = sqrt(lambda) in decreasing order.
  const s = Float64Array.from({ length: p }, (_, i) => Math.sqrt(Math.max(values[p - 1 - i], 0)));
  let beyond = 0;
  for (let i = cap; i < p; i++) beyond += s[i] * s[i];
  const rank = delta === undefined ? cap : rankForTail(s, beyond, cap, delta);
  if (!(s[rank - 1] >= GRAM_MIN_RATIO * s[0])) return null;
  const U = linalg.zeros(p, rank);
  for (let i = 0; i < p; i++)
    for (let j = 0; j < rank; j++) U.data[i * rank + j] = vectors.data[i * p + (p - 1 - j)];
  return { U, SV: linalg.matmul(U, b, { transA: true }), rank };
}

function svdTruncation(
  b: linalg.Matrix,
  cap: number,
  delta: number | undefined,
  route: SvdRoute,
): Truncation {
  const f = linalg.svdTruncated(b, cap, route);
  let rank = cap;
  if (delta !== undefined) {
    // The energy past the computed values: none when the whole spectrum was computed.
    const full = cap === Math.min(b.rows, b.cols);
    const kept = f.s.reduce((acc, v) => acc + v * v, 0);
    const beyond = full ? 0 : Math.max(0, squaredNorm(b.data) - kept);
    rank = rankForTail(f.s, beyond, cap, delta);
  }
  const U = rank === cap ? f.U : linalg.sliceCols(f.U, 0, rank);
  // SV = diag(s) V^T, read V (cols x cap) row by row.
  const { cols } = b;
  const SV = linalg.zeros(rank, cols);
  const v = f.V.data;
  const vc = f.V.cols;
  for (let j = 0; j < cols; j++) {
    for (let i = 0; i < rank; i++) SV.data[i * cols + j] = f.s[i] * v[j * vc + i];
  }
  return { U, SV, rank };
}
