import { linalg } from '@lowrank/core';
import { permuteAxes, type SvdRoute, truncateSvd, ttSvd } from '@lowrank/tt';
import type { TrCores } from './tr-reconstruct.js';

export interface TrSvdOptions extends SvdRoute {
  /** The mode the ring is cut at (default 0): its unfolding is split into `R_s R_{s+1}`. */
  start?: number;
}

const product = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

/** Throws unless there is one positive integer rank per mode and `R_s R_{s+1}` fits the unfolding at `s`. */
export function checkTrSvdRanks(
  fn: string,
  modes: readonly number[],
  ranks: readonly number[],
  start: number,
): void {
  const d = modes.length;
  if (ranks.length !== d)
    throw new RangeError(`${fn}: ${ranks.length} ranks for a ring of ${d} cores; give ${d}`);
  ranks.forEach((r, k) => {
    if (!Number.isInteger(r) || r < 1)
      throw new RangeError(`${fn}: rank R${k} = ${r} must be a positive integer`);
  });
  if (!Number.isInteger(start) || start < 0 || start >= d)
    throw new RangeError(`${fn}: start mode ${start} is not one of the ${d} modes`);
  const bound = Math.min(modes[start], product(modes) / modes[start]);
  const pair = ranks[start] * ranks[(start + 1) % d];
  if (pair > bound) {
    throw new RangeError(
      `${fn}: R${start} R${(start + 1) % d} = ${ranks[start]} * ${ranks[(start + 1) % d]} = ${pair} exceeds ${bound}, the rank of the unfolding at mode ${start} (shape [${modes}]); lower them or cut the ring at a larger mode`,
    );
  }
}

/**
 * TR-SVD (Zhao et al. 2016): cut the ring at mode `s`; the SVD of the unfolding
 * `n_s x rest` truncated to `R_s R_{s+1}` gives core `s` (`U` reshaped `(n_s, R_s, R_{s+1})`
 * and moved to `(R_s, n_s, R_{s+1})`); the remainder `S V^T`, with `R_s` moved to its last
 * axis, is split by TT-SVD into the other cores, the last closing on `R_s`. Ranks other than
 * the pair are caps, clipped to the unfoldings. Throws when `R_s R_{s+1}` exceeds the rank of
 * the unfolding at `s`.
 */
export function trSvd(x: linalg.NdArray, ranks: readonly number[], options: TrSvdOptions = {}): TrCores {
  const fn = 'trSvd';
  const { start = 0, ...route } = options;
  const modes = x.shape;
  const d = modes.length;
  if (d < 2) throw new RangeError(`${fn}: a ring needs at least 2 modes, got [${modes}]`);
  checkTrSvdRanks(fn, modes, ranks, start);
  // Rotate so that the cut mode comes first.
  const order = modes.map((_, j) => (start + j) % d);
  const y = start === 0 ? x : permuteAxes(x, order);
  const n = order.map((k) => modes[k]);
  const r = order.map((k) => ranks[k]);
  const [r0, r1] = [r[0], r[1 % d]];
  const rest = y.data.length / n[0];
  const first = truncateSvd(linalg.matrix(n[0], rest, y.data), r0 * r1, undefined, route);
  // U (n_0, R_0, R_1) -> (R_0, n_0, R_1).
  const g0 = permuteAxes(linalg.ndarray([n[0], r0, r1], first.U.data), [1, 0, 2]);
  // S V^T (R_0, R_1, rest) -> (R_1, rest, R_0): then a TT over [R_1 n_1, n_2, .., n_{d-1} R_0].
  const remainder = permuteAxes(linalg.ndarray([r0, r1, rest], first.SV.data), [1, 2, 0]);
  const ttModes = n.slice(1);
  ttModes[0] *= r1;
  ttModes[ttModes.length - 1] *= r0;
  const tt = ttSvd(linalg.ndarray(ttModes, remainder.data), { ...route, ranks: r.slice(2) });
  const cores: TrCores = [g0];
  tt.forEach((c, j) => {
    const left = j === 0 ? r1 : c.shape[0];
    const right = j === tt.length - 1 ? r0 : c.shape[2];
    cores.push(linalg.ndarray([left, n[j + 1], right], c.data));
  });
  // Back to the original order: core of mode k is rotated core (k - start) mod d.
  return modes.map((_, k) => cores[(k - start + d) % d]);
}
