import {
  type Budget,
  layerSelection,
  linalg,
  type RankSelectorPlugin,
  rankSelection,
  rankUnfoldings,
} from '@lowrank/core';
import { type EvbmfResult, evbmf } from './evbmf.js';

export interface VbmfSettings {
  /**
   * The VBMF ratio `a` in [0, 1] (default 1): `r = round((1 - a) r_max + a r_vbmf)`, from
   * no compression (`a = 0`, the rank bound) to the EVBMF rank (`a = 1`).
   */
  ratio?: number;
  /** The smallest rank chosen (default 1; EVBMF may find 0 on a noise-like unfolding). */
  minRank?: number;
}

/**
 * The VBMF rank selector: EVBMF on each rank's unfolding (core's `rankUnfoldings`:
 * `W_mat` for one rank, `unfold(W,0)` and `unfold(W,1)` for two, sequential unfoldings
 * for TT/TR on a conv weight), interpolated with the rank bound by the VBMF ratio, at
 * least `minRank` and within the decomposition's rank bounds.
 */
export function rankVbmf(settings: VbmfSettings = {}): RankSelectorPlugin {
  const ratio = settings.ratio ?? 1;
  const minRank = settings.minRank ?? 1;
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`rank-vbmf: ratio must be in [0, 1], got ${ratio}`);
  if (!Number.isInteger(minRank) || minRank < 1) {
    throw new Error(`rank-vbmf: minRank must be a positive integer, got ${minRank}`);
  }
  return {
    kind: 'rank',
    name: 'rank-vbmf',
    async select(context, budget?: Budget) {
      if (budget !== undefined) {
        throw new Error(
          'rank-vbmf: the VBMF selector sets ranks by EVBMF and its ratio and takes no budget; use @lowrank/rank-budget for a budget',
        );
      }
      const layers = [];
      for (const { info, weight } of context.layers) {
        const spec = context.decomposition.rankSpec(info);
        const w = await linalg.toNdArray(weight);
        if (!w.data.every(Number.isFinite)) {
          throw new Error(`rank-vbmf: layer '${info.name}' has NaN or Inf weights`);
        }
        const found = new Map<linalg.Matrix, EvbmfResult>();
        const reasons: string[] = [];
        const ranks = rankUnfoldings(w, spec).map(({ label, matrix }, k) => {
          const result = found.get(matrix) ?? evbmf(matrix);
          found.set(matrix, result);
          const max = spec.max[k];
          const mixed = Math.round((1 - ratio) * max + ratio * result.rank);
          const rank = Math.min(max, Math.max(spec.min[k], minRank, mixed));
          const bound =
            rank > mixed ? ' (raised to the minimum)' : rank < mixed ? ' (capped at the bound)' : '';
          reasons.push(
            `${spec.labels[k]}: EVBMF rank ${result.rank} of ${label}, ratio ${ratio} gives ${mixed}${bound}`,
          );
          return rank;
        });
        layers.push(layerSelection(context.decomposition, info, ranks, reasons.join('; ')));
      }
      return rankSelection(layers);
    },
  };
}
