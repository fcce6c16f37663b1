import { linalg } from '@lowrank/core';
import { type SvdRoute, truncateSvd } from './truncate.js';

/** TT cores: core `k` has shape `[r_{k-1}, n_k, r_k]`, with `r_0 = r_d = 1`. */
export type TtCores = linalg.NdArray[];

export interface TtSvdOptions extends SvdRoute {
  /** Caps on the `d - 1` interior ranks (an entry left undefined is uncapped). */
  ranks?: readonly (number | undefined)[];
  /**
   * Relative accuracy: each step keeps the smallest rank (within its cap) whose discarded tail is at
   * most `eps ‖A‖ / sqrt(d - 1)`, so that `‖A - TT‖ <= eps ‖A‖` whenever no cap binds.
   */
  eps?: number;
}

/** The largest meaningful interior ranks of a TT over `modes`: `min(prod_{i<=k} n_i, prod_{i>k} n_i)`. */
export function ttRankBounds(modes: readonly number[]): number[] {
  const total = modes.reduce((p, n) => p * n, 1);
  const bounds: number[] = [];
  let left = 1;
  for (let k = 0; k < modes.length - 1; k++) {
    left *= modes[k];
    bounds.push(Math.min(left, total / left));
  }
  return bounds;
}

function frobenius(data: Float64Array): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i] * data[i];
  return Math.sqrt(s);
}

export function checkTtOptions(fn: string, d: number, options: TtSvdOptions): void {
  const { ranks, eps } = options;
  if (ranks !== undefined) {
    if (ranks.length !== d - 1)
      throw new RangeError(`${fn}: ${ranks.length} rank caps for ${d} cores; give ${d - 1}`);
    ranks.forEach((r, k) => {
      if (r !== undefined && (!Number.isInteger(r) || r < 1)) {
        throw new RangeError(`${fn}: rank cap r${k + 1} = ${r} must be a positive integer`);
      }
    });
  }
  if (eps !== undefined && !(eps >= 0 && Number.isFinite(eps))) {
    throw new RangeError(`${fn}: eps = ${eps} must be a finite number >= 0`);
  }
}

/**
 * TT-SVD (Oseledets 2011, Alg. 1): for `k = 1..d-1` the remainder, reshaped to
 * `(r_{k-1} n_k) x rest`, is split by a truncated SVD; `U` becomes core `k` and `S V^T` the
 * next remainder. Ranks are the caps (clipped to the unfolding), or with `eps` the smallest
 * within the caps whose tail is at most `eps ‖A‖ / sqrt(d - 1)`, and never exceed
 * `min(prod_{i<=k} n_i, prod_{i>k} n_i)`. Cores `1..d-1` are left-orthogonal.
 */
export function ttSvd(x: linalg.NdArray, options: TtSvdOptions = {}): TtCores {
  const fn = 'ttSvd';
  const modes = x.shape;
  const d = modes.length;
  if (d === 0 || modes.some((n) => n < 1))
    throw new RangeError(`${fn}: cannot decompose a tensor of shape [${modes}]`);
  checkTtOptions(fn, d, options);
  const { ranks, eps, ...route } = options;
  const delta = eps === undefined ? undefined : (eps * frobenius(x.data)) / Math.sqrt(Math.max(d - 1, 1));
  const cores: TtCores = [];
  let rest = x.data;
  let left = 1;
  for (let k = 0; k < d - 1; k++) {
    const rows = left * modes[k];
    const cols = rest.length / rows;
    const cap = Math.min(ranks?.[k] ?? rows, rows, cols);
    // Keeping every row truncates nothing, and the rest of TT-SVD does not depend on the basis of the
    // rows (a rotation of r_k leaves the next unfolding's singular values unchanged): the identity is free.
    const t =
      delta === undefined && cap === rows
        ? { U: linalg.eye(rows), SV: linalg.matrix(rows, cols, rest.slice()), rank: rows }
        : truncateSvd(linalg.matrix(rows, cols, rest), cap, delta, route);
    cores.push(linalg.ndarray([left, modes[k], t.rank], t.U.data));
    rest = t.SV.data;
    left = t.rank;
  }
  cores.push(linalg.ndarray([left, modes[d - 1], 1], d === 1 ? rest.slice() : rest));
  return cores;
}
