import {
  type Budget,
  type CalibrationLayer,
  type Collector,
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
import { kappaBreakpoints, ranksAt, type ScoredLayer } from './allocation.js';
import { lwiqCollector } from './collector.js';
import { type LayerScore, type LwiqScoreKind, layerScores } from './layer-scores.js';
import { LwiqStatistics, type LwiqStatisticsJson } from './lwiq-statistics.js';

export interface LwiqOptions {
  /** How a layer's proxy accuracy becomes its score (default `'accuracy'`). */
  score?: LwiqScoreKind;
  /**
   * Calibration samples, first in order, that imprint each proxy classifier; every later
   * sample evaluates it (default 512). Calibrate on more samples than this.
   */
  imprintSamples?: number;
  /** Smallest rank of every layer (default 1; the decomposition's own minimum if larger). */
  minRank?: number;
  /** The kappa used when `select` gets no budget. */
  kappa?: number;
}

/** An LWIQ selection, with the kappa it settled on and every layer's score. */
export interface LwiqSelection extends RankSelection {
  kappa: number;
  scores: LayerScore[];
}

export interface LwiqRankSelector extends RankSelectorPlugin {
  collector(layers: readonly CalibrationLayer[]): Collector;
  select(context: SelectionContext, budget?: Budget): Promise<LwiqSelection>;
}

const SCORES: readonly LwiqScoreKind[] = ['accuracy', 'gain'];

/** A layer's statistics from the selection context: collected, or saved with `toJSON`. */
function statisticsOf(context: SelectionContext, name: string): LwiqStatistics {
  if (!context.stats) {
    throw new Error(
      'lwiq: select needs the statistics of calibration: create collector = plugin.collector(layers), run calibrate(model, [collector], labelledBatches), then pass stats: collector.statistics() to select',
    );
  }
  const stats = context.stats.get(name);
  if (stats instanceof LwiqStatistics) return stats;
  if ((stats as LwiqStatisticsJson | undefined)?.format === 'lowrank-lwiq-statistics') {
    return LwiqStatistics.fromJSON(stats as LwiqStatisticsJson);
  }
  throw new Error(
    stats === undefined
      ? `lwiq: no statistics were collected for layer '${name}'; include it in the layers given to the lwiq collector and calibrate again`
      : `lwiq: the statistics of layer '${name}' are not LWIQ statistics; collect them with lwiq().collector(...) or load them with LwiqStatistics.fromJSON`,
  );
}

function checkPositiveInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`lwiq: ${what} must be a positive integer, got ${value}`);
  }
}

/**
 * The LWIQ rank selector (register with `engine.use(lwiq())`). Its `collector` imprints
 * a proxy classifier on each layer's pooled output per class and measures its accuracy on
 * later samples; `select` scores each layer from that accuracy and gives every rank of
 * layer l `clip(round(kappa * score_l * max), floor, max)`, with kappa the largest value
 * (bisection over the kappas where some rank steps) whose selection meets the budget.
 */
export function lwiq(options: LwiqOptions = {}): LwiqRankSelector {
  const kind = options.score ?? 'accuracy';
  if (!SCORES.includes(kind)) {
    throw new Error(
      `lwiq: unknown score '${String(kind)}'; expected ${SCORES.map((s) => `'${s}'`).join(' or ')}`,
    );
  }
  const imprintSamples = options.imprintSamples ?? 512;
  checkPositiveInteger(imprintSamples, 'imprintSamples');
  const minRank = options.minRank ?? 1;
  checkPositiveInteger(minRank, 'minRank');
  const fixed = options.kappa;
  if (fixed !== undefined && !(Number.isFinite(fixed) && fixed >= 0)) {
    throw new Error(`lwiq: kappa must be a finite number >= 0, got ${fixed}`);
  }

  const selectAt = (
    context: SelectionContext,
    layers: readonly ScoredLayer[],
    scores: LayerScore[],
    kappa: number,
  ): LwiqSelection => {
    const entries = layers.map((layer, l) => {
      const ranks = ranksAt(layer, kappa);
      const { spec, floors } = layer;
      const atFloor = spec.labels.filter((_, k) => ranks[k] === floors[k] && ranks[k] < spec.max[k]);
      const reason =
        `lwiq: ${scores[l].description} x kappa ${kappa.toFixed(4)} of the rank bounds [${spec.max.join(', ')}]` +
        (atFloor.length > 0 ? `; ${atFloor.join(', ')} at the minimum rank` : '');
      return layerSelection(context.decomposition, layer.info, ranks, reason);
    });
    return { ...rankSelection(entries), kappa, scores };
  };

  return {
    kind: 'rank',
    name: 'lwiq',
    collector: (layers) => lwiqCollector(layers, imprintSamples),
    async select(context, budget) {
      const scores = layerScores(
        context.layers.map(({ info }) => statisticsOf(context, info.name)),
        kind,
      );
      const layers: ScoredLayer[] = context.layers.map(({ info }, l) => {
        const spec = context.decomposition.rankSpec(info);
        const floors = spec.max.map((max, k) => Math.min(max, Math.max(spec.min[k], minRank)));
        return { info, spec, floors, score: scores[l].score };
      });
      if (budget === undefined) {
        if (fixed === undefined) {
          throw new Error('lwiq: select needs a budget, or a `kappa` in the options of lwiq()');
        }
        return selectAt(context, layers, scores, fixed);
      }
      checkBudget(budget, 'lwiq');
      const candidates = kappaBreakpoints(layers);
      const fits = (kappa: number) => {
        const { total } = selectAt(context, layers, scores, kappa);
        return fitsBudget(budget, total.before, total.after);
      };
      if (!fits(candidates[0])) {
        const smallest = selectAt(context, layers, scores, candidates[0]).total.after;
        throw new Error(
          `lwiq: the budget (${describeBudget(budget)}) cannot be met: at the minimum ranks the selected layers have ${smallest.params} params and ${smallest.flops} MACs; lower minRank or relax the budget`,
        );
      }
      // Cost does not fall as kappa grows: the largest fitting breakpoint is the answer.
      const last = lastFitting(candidates.length, (i) => fits(candidates[i]));
      return selectAt(context, layers, scores, candidates[last]);
    },
  };
}
