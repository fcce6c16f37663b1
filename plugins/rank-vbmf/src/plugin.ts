import {
  type AnalysedLayer,
  analyseUnfoldings,
  type Budget,
  checkBudget,
  describeBudget,
  fitsBudget,
  lastFitting,
  layerSelection,
  type RankSelection,
  type RankSelectorPlugin,
  rankSelection,
  type SelectionContext,
} from '@lowrank/core';
import { evbmf } from './evbmf.js';
import { ratioSteps } from './ratio-steps.js';

export interface VbmfSettings {
  /**
   * The VBMF ratio `a` in [0, 1] (default 1): `r = round((1 - a) r_max + a r_vbmf)`, from
   * no compression (`a = 0`, the rank bound) to the EVBMF rank (`a = 1`). Unused with a budget.
   */
  ratio?: number;
  /** The smallest rank chosen (default 1; EVBMF may find 0 on a noise-like unfolding). */
  minRank?: number;
}

/** A VBMF selection, with the VBMF ratio it used (the solved one under a budget). */
export interface VbmfSelection extends RankSelection {
  ratio: number;
}

export interface VbmfRankSelector extends RankSelectorPlugin {
  select(context: SelectionContext, budget?: Budget): Promise<VbmfSelection>;
}

/** A layer with the EVBMF rank of each of its ranks' unfoldings. */
type Prepared = AnalysedLayer<number>;

const prepare = (context: SelectionContext): Promise<Prepared[]> =>
  analyseUnfoldings(context, 'rank-vbmf', (matrix) => evbmf(matrix).rank);

/**
 * The VBMF rank selector: EVBMF on each rank's unfolding (core's `rankUnfoldings`:
 * `W_mat` for one rank, `unfold(W,0)` and `unfold(W,1)` for two, sequential unfoldings
 * for TT/TR on a conv weight), interpolated with the rank bound by the VBMF ratio, at
 * least `minRank` and within the decomposition's rank bounds. With a budget, one ratio for
 * all layers is solved by bisection over the intervals of the ratio on which no rank
 * changes: the least compressing ratio whose selection meets the budget, so the step
 * below it would not.
 */
export function rankVbmf(settings: VbmfSettings = {}): VbmfRankSelector {
  const fixed = settings.ratio ?? 1;
  const minRank = settings.minRank ?? 1;
  if (!(fixed >= 0 && fixed <= 1)) throw new Error(`rank-vbmf: ratio must be in [0, 1], got ${fixed}`);
  if (!Number.isInteger(minRank) || minRank < 1) {
    throw new Error(`rank-vbmf: minRank must be a positive integer, got ${minRank}`);
  }

  /** The selection at `ratio`; `shown` is how reasons print it, `note` ends every reason. */
  const selectAt = (
    context: SelectionContext,
    layers: readonly Prepared[],
    ratio: number,
    shown: string,
    note = '',
  ): VbmfSelection => {
    const entries = layers.map(({ info, spec, unfoldings }) => {
      const reasons: string[] = [];
      const ranks = unfoldings.map(({ label, analysis: vbmf }, k) => {
        const max = spec.max[k];
        const mixed = Math.round((1 - ratio) * max + ratio * vbmf);
        const rank = Math.min(max, Math.max(spec.min[k], minRank, mixed));
        const bound =
          rank > mixed ? ' (raised to the minimum)' : rank < mixed ? ' (capped at the bound)' : '';
        reasons.push(
          `${spec.labels[k]}: EVBMF rank ${vbmf} of ${label}, ratio ${shown} gives ${mixed}${bound}`,
        );
        return rank;
      });
      return layerSelection(context.decomposition, info, ranks, reasons.join('; ') + note);
    });
    return { ...rankSelection(entries), ratio };
  };

  return {
    kind: 'rank',
    name: 'rank-vbmf',
    async select(context, budget) {
      const layers = await prepare(context);
      if (budget === undefined) return selectAt(context, layers, fixed, String(fixed));
      checkBudget(budget, 'rank-vbmf');
      const steps = ratioSteps(
        layers.flatMap(({ spec, unfoldings }) =>
          unfoldings.map(({ analysis }, k) => ({ max: spec.max[k], vbmf: analysis })),
        ),
      );
      const fits = (a: number) => {
        const { total } = selectAt(context, layers, a, '');
        return fitsBudget(budget, total.before, total.after);
      };
      const last = steps.length - 1;
      if (!fits(steps[last])) {
        const smallest = selectAt(context, layers, steps[last], '').total.after;
        throw new Error(
          `rank-vbmf: the budget (${describeBudget(budget)}) cannot be met: at VBMF ratio 1 (the EVBMF ranks, at least minRank ${minRank}) the selected layers have ${smallest.params} params and ${smallest.flops} MACs; lower minRank or relax the budget`,
        );
      }
      // Cost is non-increasing in the ratio: the smallest fitting step is the answer, the
      // last fitting one counted down from ratio 1.
      const solved = steps[last - lastFitting(steps.length, (k) => fits(steps[last - k]))];
      const shown = solved.toPrecision(6);
      return selectAt(
        context,
        layers,
        solved,
        shown,
        `; VBMF ratio ${shown} solved by bisection for the budget (${describeBudget(budget)})`,
      );
    },
  };
}
