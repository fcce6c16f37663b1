import type { LayerInfo, RankSpec } from '@lowrank/core';

/** A layer ready for allocation: its rank spec, the floor of each rank and its score. */
export interface ScoredLayer {
  info: LayerInfo;
  spec: RankSpec;
  floors: readonly number[];
  score: number;
}

/**
 * The kappa at which a rank with this score and bound steps from `j - 1` to `j`: where
 * `kappa * score * bound` reaches `j - 0.5` (rounding half up). `ranksAt` and
 * `kappaBreakpoints` both use this one expression, so a rank steps exactly at its
 * breakpoint despite floating-point rounding.
 */
function stepAt(j: number, score: number, bound: number): number {
  return (j - 0.5) / (score * bound);
}

/** `round(kappa * score * bound)` (half up), exactly consistent with `stepAt`. */
function roundedRank(kappa: number, score: number, bound: number): number {
  if (score <= 0 || bound <= 0) return 0;
  let r = Math.min(bound, Math.max(0, Math.floor(kappa * score * bound + 0.5)));
  while (r < bound && stepAt(r + 1, score, bound) <= kappa) r++;
  while (r > 0 && stepAt(r, score, bound) > kappa) r--;
  return r;
}

/** LWIQ's ranks of a layer at `kappa`: `clip(round(kappa * score * max_k), floor_k, max_k)` for every rank k. */
export function ranksAt(layer: ScoredLayer, kappa: number): number[] {
  return layer.spec.max.map((max, k) =>
    Math.min(max, Math.max(layer.floors[k], roundedRank(kappa, layer.score, max))),
  );
}

/**
 * Every kappa at which some rank steps up, ascending and without duplicates, starting
 * at 0. Between two of them no rank changes, so bisection over this list is bisection
 * over kappa with nothing left to round.
 */
export function kappaBreakpoints(layers: readonly ScoredLayer[]): number[] {
  const all = [0];
  for (const { spec, score } of layers) {
    if (score <= 0) continue;
    for (const bound of new Set(spec.max)) {
      for (let j = 1; j <= bound; j++) all.push(stepAt(j, score, bound));
    }
  }
  all.sort((a, b) => a - b);
  return all.filter((k, i) => i === 0 || k !== all[i - 1]);
}
