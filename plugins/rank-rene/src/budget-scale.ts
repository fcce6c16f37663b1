import {
  type Budget,
  type DecompositionPlugin,
  describeBudget,
  fitsBudget,
  type LayerInfo,
  lastFitting,
  layerSelection,
  type RankSpec,
  rankSelection,
} from '@lowrank/core';
import { ranksAt, scalarBound } from './candidates.js';

/** A layer with the scalar rank the search chose for it. */
export interface ScaledLayer {
  info: LayerInfo;
  spec: RankSpec;
  scalar: number;
}

/** `floor(t * r)`, guarded so that `t = k / r` gives exactly `k` despite rounding. */
function scaledFloor(t: number, r: number): number {
  return Math.floor(t * r + 1e-9);
}

/** The scalar ranks at scale `t`: `max(1, floor(t * r_i))`, at most each layer's bound. */
export function scaledScalars(layers: readonly ScaledLayer[], t: number): number[] {
  return layers.map(({ spec, scalar }) => Math.min(scalarBound(spec), Math.max(1, scaledFloor(t, scalar))));
}

/**
 * Every scale at which some scalar rank steps up: `k / r_i` for `k = 0..bound_i`, sorted.
 * Between two of them no rank changes, so bisection over this list finds the exact
 * largest fitting scale, and that scale is attained (not a limit from below).
 */
function scaleBreakpoints(layers: readonly ScaledLayer[]): number[] {
  const all = new Set<number>();
  for (const { spec, scalar } of layers) {
    for (let k = 0; k <= scalarBound(spec); k++) all.add(k / scalar);
  }
  return [...all].sort((a, b) => a - b);
}

/**
 * The largest common scale `t` of the searched scalar ranks whose ranks meet the budget,
 * by bisection over the scales where a rank changes (cost does not decrease with `t`). It
 * keeps RENE's allocation between layers and moves the total onto the budget from below:
 * `t < 1` shrinks a search that landed over it, `t > 1` grows one that landed under it.
 */
export function scaleToBudget(
  decomposition: DecompositionPlugin,
  layers: readonly ScaledLayer[],
  budget: Budget,
): number {
  const fits = (t: number) => {
    const scalars = scaledScalars(layers, t);
    const { total } = rankSelection(
      layers.map(({ info, spec }, i) => layerSelection(decomposition, info, ranksAt(spec, scalars[i]), '')),
    );
    return fitsBudget(budget, total.before, total.after);
  };
  const candidates = scaleBreakpoints(layers);
  if (!fits(candidates[0])) {
    throw new Error(
      `rank-rene: the budget (${describeBudget(budget)}) cannot be met even at rank 1 in every layer; relax the budget or select fewer layers`,
    );
  }
  return candidates[lastFitting(candidates.length, (i) => fits(candidates[i]))];
}
