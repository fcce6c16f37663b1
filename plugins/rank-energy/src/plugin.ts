import {
  type Budget,
  layerSelection,
  linalg,
  type RankSelectorPlugin,
  rankSelection,
  rankUnfoldings,
} from '@lowrank/core';
import { energyRank } from './energy-rank.js';

export interface EnergySettings {
  /** Fraction of the squared singular values each rank keeps, in (0, 1] (default 0.9). */
  fraction?: number;
}

/**
 * The energy rank selector: each rank is the smallest keeping `fraction` of the squared
 * singular values of its unfolding (core's `rankUnfoldings`: `W_mat` for one rank,
 * `unfold(W,0)` and `unfold(W,1)` for two, sequential unfoldings for TT/TR on a conv
 * weight), clamped to the decomposition's rank bounds.
 */
export function rankEnergy(settings: EnergySettings = {}): RankSelectorPlugin {
  const fraction = settings.fraction ?? 0.9;
  if (!(fraction > 0 && fraction <= 1)) {
    throw new Error(`rank-energy: fraction must be in (0, 1], got ${fraction}`);
  }
  return {
    kind: 'rank',
    name: 'rank-energy',
    async select(context, budget?: Budget) {
      if (budget !== undefined) {
        throw new Error(
          'rank-energy: the energy selector sets ranks by its fraction and takes no budget; use @lowrank/rank-budget for a budget',
        );
      }
      const layers = [];
      for (const { info, weight } of context.layers) {
        const spec = context.decomposition.rankSpec(info);
        const w = await linalg.toNdArray(weight);
        if (!w.data.every(Number.isFinite)) {
          throw new Error(`rank-energy: layer '${info.name}' has NaN or Inf weights`);
        }
        const spectra = new Map<linalg.Matrix, Float64Array>();
        const reasons: string[] = [];
        const ranks = rankUnfoldings(w, spec).map(({ label, matrix }, k) => {
          const s = spectra.get(matrix) ?? linalg.svd(matrix).s;
          spectra.set(matrix, s);
          const wanted = energyRank(s, fraction);
          const rank = Math.min(spec.max[k], Math.max(spec.min[k], wanted));
          const bound =
            rank > wanted ? ' (raised to the minimum)' : rank < wanted ? ' (capped at the bound)' : '';
          reasons.push(`${spec.labels[k]}: energy ${fraction} of ${label} needs ${wanted}${bound}`);
          return rank;
        });
        layers.push(layerSelection(context.decomposition, info, ranks, reasons.join('; ')));
      }
      return rankSelection(layers);
    },
  };
}
