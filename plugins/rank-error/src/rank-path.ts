import type { RankSpec } from '@lowrank/core';
import { breakpoints } from '@lowrank/rank-budget';

/**
 * The one-dimensional path through a layer's rank space that the error selector searches:
 * every rank at the same fraction `f` of its bound, `max(min_k, floor(f * max_k))`, for
 * `f` from 0 to 1, at each fraction where some rank steps up (`k / max` for every bound),
 * without repeats. It starts at the minimum ranks and ends at the bounds; each step raises
 * one or more ranks, so cost never falls along it. With one rank it is `min, min+1, ..., max`.
 */
export function rankPath(spec: RankSpec): number[][] {
  const path: number[][] = [];
  for (const { num, den } of breakpoints(spec.max)) {
    const ranks = spec.max.map((max, k) => Math.max(spec.min[k], Math.floor((num * max) / den)));
    const last = path[path.length - 1];
    if (last === undefined || ranks.some((r, k) => r !== last[k])) path.push(ranks);
  }
  return path;
}
