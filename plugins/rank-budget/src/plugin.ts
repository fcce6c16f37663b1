import {
  type Budget,
  checkBudget,
  describeBudget,
  fitsBudget,
  type LayerInfo,
  lastFitting,
  layerSelection,
  type RankSelection,
  type RankSelectorPlugin,
  type RankSpec,
  rankSelection,
  type SelectionContext,
} from '@lowrank/core';
import { breakpoints, type Fraction, scaled } from './fractions.js';
import { type MinimumRanks, rankFloors } from './minimum-ranks.js';

export interface BudgetSettings {
  /** Smallest rank of every layer (default 1). */
  minRank?: number;
  /** Minimum ranks by layer name: one number for all of a layer's ranks, or one per rank. */
  minRanks?: MinimumRanks;
  /** The fraction of the rank bounds used when `select` gets no budget. */
  fraction?: number;
}

/** A budget selection, with the fraction `f` of the rank bounds it settled on. */
export interface BudgetSelection extends RankSelection {
  fraction: number;
}

export interface BudgetRankSelector extends RankSelectorPlugin {
  select(context: SelectionContext, budget?: Budget): Promise<BudgetSelection>;
}

interface Prepared {
  info: LayerInfo;
  spec: RankSpec;
  floors: number[];
}

/**
 * The budget rank selector: every rank is `max(floor, floor(f * bound))` for one global
 * fraction `f`, the largest `f` whose total cost meets the budget (found by bisection
 * over the fractions where some rank changes, so floor rounding never exceeds the budget).
 * Layers whose factorized params would not be smaller than the dense layer's are kept dense.
 */
export function rankBudget(settings: BudgetSettings = {}): BudgetRankSelector {
  const minRank = settings.minRank ?? 1;
  if (!Number.isInteger(minRank) || minRank < 1) {
    throw new Error(`rank-budget: minRank must be a positive integer, got ${minRank}`);
  }
  const fixed = settings.fraction;
  if (fixed !== undefined && !(fixed >= 0 && fixed <= 1)) {
    throw new Error(`rank-budget: fraction must be in [0, 1], got ${fixed}`);
  }

  const selectAt = (context: SelectionContext, layers: readonly Prepared[], f: Fraction): BudgetSelection => {
    const value = f.num / f.den;
    const entries = layers.map(({ info, spec, floors }) => {
      const ranks = spec.max.map((max, k) => Math.max(floors[k], scaled(f, max)));
      const atFloor = spec.labels.filter(
        (_, k) => ranks[k] === floors[k] && scaled(f, spec.max[k]) < floors[k],
      );
      const reason =
        `budget: fraction ${value.toFixed(4)} of the rank bounds [${spec.max.join(', ')}]` +
        (atFloor.length > 0 ? `; ${atFloor.join(', ')} at the minimum rank` : '');
      return layerSelection(context.decomposition, info, ranks, reason);
    });
    return { ...rankSelection(entries), fraction: value };
  };

  return {
    kind: 'rank',
    name: 'rank-budget',
    async select(context, budget) {
      const layers = context.layers.map(({ info }) => {
        const spec = context.decomposition.rankSpec(info);
        return { info, spec, floors: rankFloors(info, spec, minRank, settings.minRanks ?? {}) };
      });
      if (budget === undefined) {
        if (fixed === undefined) {
          throw new Error(
            'rank-budget: select needs a budget, or a `fraction` in the settings of rankBudget()',
          );
        }
        return selectAt(context, layers, { num: fixed, den: 1 });
      }
      checkBudget(budget, 'rank-budget');
      const candidates = breakpoints(layers.flatMap((l) => l.spec.max));
      const fits = (f: Fraction) => {
        const { total } = selectAt(context, layers, f);
        return fitsBudget(budget, total.before, total.after);
      };
      if (!fits(candidates[0])) {
        const smallest = selectAt(context, layers, candidates[0]).total.after;
        throw new Error(
          `rank-budget: the budget (${describeBudget(budget)}) cannot be met: at the minimum ranks the selected layers have ${smallest.params} params and ${smallest.flops} MACs; lower minRank/minRanks or relax the budget`,
        );
      }
      // Cost is non-decreasing in f: the largest fitting breakpoint is the answer.
      const last = lastFitting(candidates.length, (i) => fits(candidates[i]));
      return selectAt(context, layers, candidates[last]);
    },
  };
}
