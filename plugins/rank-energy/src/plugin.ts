import {
  type AnalysedLayer,
  analyseUnfoldings,
  type Budget,
  checkBudget,
  describeBudget,
  fitsBudget,
  lastFitting,
  layerSelection,
  linalg,
  type RankSelection,
  type RankSelectorPlugin,
  rankSelection,
  type SelectionContext,
} from '@lowrank/core';
import { energyFractions } from './energy-fractions.js';
import { energyRank } from './energy-rank.js';

export interface EnergySettings {
  /** Fraction of the squared singular values each rank keeps, in (0, 1] (default 0.9); unused with a budget. */
  fraction?: number;
}

/** An energy selection, with the energy fraction it used (the solved one under a budget). */
export interface EnergySelection extends RankSelection {
  fraction: number;
}

export interface EnergyRankSelector extends RankSelectorPlugin {
  select(context: SelectionContext, budget?: Budget): Promise<EnergySelection>;
}

/** A layer with the singular values of each of its ranks' unfoldings. */
type Prepared = AnalysedLayer<Float64Array>;

const prepare = (context: SelectionContext): Promise<Prepared[]> =>
  analyseUnfoldings(context, 'rank-energy', (matrix) => linalg.svd(matrix).s);

/**
 * The energy rank selector: each rank is the smallest keeping `fraction` of the squared
 * singular values of its unfolding (core's `rankUnfoldings`: `W_mat` for one rank,
 * `unfold(W,0)` and `unfold(W,1)` for two, sequential unfoldings for TT/TR on a conv
 * weight), clamped to the decomposition's rank bounds. With a budget, one fraction for
 * all layers is solved by bisection over the fractions where some rank steps (the
 * cumulative energy shares of the spectra): the largest whose selection meets the budget,
 * so the next step up would not.
 */
export function rankEnergy(settings: EnergySettings = {}): EnergyRankSelector {
  const fixed = settings.fraction ?? 0.9;
  if (!(fixed > 0 && fixed <= 1)) {
    throw new Error(`rank-energy: fraction must be in (0, 1], got ${fixed}`);
  }

  /** The selection at `fraction`; `shown` is how reasons print it, `note` ends every reason. */
  const selectAt = (
    context: SelectionContext,
    layers: readonly Prepared[],
    fraction: number,
    shown: string,
    note = '',
  ): EnergySelection => {
    const entries = layers.map(({ info, spec, unfoldings }) => {
      const reasons: string[] = [];
      const ranks = unfoldings.map(({ label, analysis: spectrum }, k) => {
        const wanted = energyRank(spectrum, fraction);
        const rank = Math.min(spec.max[k], Math.max(spec.min[k], wanted));
        const bound =
          rank > wanted ? ' (raised to the minimum)' : rank < wanted ? ' (capped at the bound)' : '';
        reasons.push(`${spec.labels[k]}: energy ${shown} of ${label} needs ${wanted}${bound}`);
        return rank;
      });
      return layerSelection(context.decomposition, info, ranks, reasons.join('; ') + note);
    });
    return { ...rankSelection(entries), fraction };
  };

  return {
    kind: 'rank',
    name: 'rank-energy',
    async select(context, budget) {
      const layers = await prepare(context);
      if (budget === undefined) return selectAt(context, layers, fixed, String(fixed));
      checkBudget(budget, 'rank-energy');
      const candidates = energyFractions(layers.flatMap((l) => l.unfoldings.map((u) => u.analysis)));
      const fits = (f: number) => {
        const { total } = selectAt(context, layers, f, '');
        return fitsBudget(budget, total.before, total.after);
      };
      if (!fits(candidates[0])) {
        const smallest = selectAt(context, layers, candidates[0], '').total.after;
        throw new Error(
          `rank-energy: the budget (${describeBudget(budget)}) cannot be met: at the smallest energy fraction ${candidates[0].toPrecision(6)} the selected layers have ${smallest.params} params and ${smallest.flops} MACs; relax the budget`,
        );
      }
      // Cost is non-decreasing in the fraction: the largest fitting candidate is the answer.
      const solved = candidates[lastFitting(candidates.length, (k) => fits(candidates[k]))];
      const shown = solved.toPrecision(6);
      return selectAt(
        context,
        layers,
        solved,
        shown,
        `; energy fraction ${shown} solved by bisection for the budget (${describeBudget(budget)})`,
      );
    },
  };
}
