import {
  type Budget,
  checkBudget,
  type DecompositionPlugin,
  describeBudget,
  FROBENIUS,
  fitsBudget,
  type LayerInfo,
  layerSelection,
  linalg,
  type Metric,
  type MetricDecomposeOptions,
  type RankSelection,
  type RankSelectorPlugin,
  type RankSpec,
  rankSelection,
  type SelectionContext,
} from '@lowrank/core';
import { type DecomposeUnder, type ErrorAt, type ErrorCache, layerErrors } from './layer-errors.js';
import { rankPath } from './rank-path.js';
import { type PathStop, smallestStep } from './smallest-step.js';

export interface ErrorSettings {
  /** Largest relative error each layer may have in its norm, at least 0 (default 0.1); unused with a budget. */
  threshold?: number;
  /** Seed of iterative decompositions (default 0), so selections are deterministic. */
  seed?: number;
  /** Settings for `decomposeWithMetric` where errors are measured (ALS iterations, refinement). */
  decompose?: Omit<MetricDecomposeOptions, 'metric' | 'seed' | 'onIteration'>;
  /**
   * What the decompositions whose errors are measured minimise (default `'metric'`: the
   * layer's own norm). `'frobenius'` measures the plain Frobenius decomposition in the
   * layer's norm: ranks for a Frobenius-compressed model chosen by their functional error.
   */
  decomposeUnder?: DecomposeUnder;
}

/** An error selection, with the threshold it used (the solved one under a budget). */
export interface ErrorSelection extends RankSelection {
  threshold: number;
  /** Each layer's relative error at its selected ranks, in its norm, by layer name. */
  errors: Record<string, number>;
}

export interface ErrorRankSelector extends RankSelectorPlugin {
  select(context: SelectionContext, budget?: Budget): Promise<ErrorSelection>;
}

interface Prepared {
  info: LayerInfo;
  spec: RankSpec;
  path: number[][];
  errorAt: ErrorAt;
  norm: string;
}

const NORM_NAMES: Record<Metric['kind'], string> = {
  frobenius: 'Frobenius',
  whitened: 'Sigma (whitened)',
  weighted: 'weighted',
};

const shown = (x: number) => String(Number(x.toPrecision(4)));

/**
 * The error rank selector: per layer, the smallest ranks whose relative error
 * `‖W - What‖ / ‖W‖` in the layer's norm (its metric in `context.metrics`, Frobenius when
 * absent) is at most the threshold. Ranks move along one path per layer, every rank at the
 * same fraction of its bound (`rankPath`), searched by bisection over its steps. Errors are
 * measured by decomposing (core's `decomposeWithMetric` and `relativeError`), each once per
 * selector; for the `svd` decomposition under Frobenius or Sigma they come exactly from one
 * SVD of `W_mat` (times `L`). With a budget, one threshold for all layers is solved by
 * bisection: the smallest whose selection meets the budget, so a step more on the path of
 * the layer with the largest error would not.
 */
export function error(settings: ErrorSettings = {}): ErrorRankSelector {
  const fixed = settings.threshold ?? 0.1;
  if (!(fixed >= 0 && Number.isFinite(fixed))) {
    throw new Error(`rank-error: threshold must be a non-negative number (a relative error), got ${fixed}`);
  }
  const seed = settings.seed ?? 0;
  if (!Number.isInteger(seed)) throw new Error(`rank-error: seed must be an integer, got ${seed}`);
  const options: MetricDecomposeOptions = { ...settings.decompose, seed };
  const under = settings.decomposeUnder ?? 'metric';
  if (under !== 'metric' && under !== 'frobenius') {
    throw new Error(`rank-error: decomposeUnder must be 'metric' or 'frobenius', got '${String(under)}'`);
  }
  // Measured errors, per decomposition plugin object (its settings shape the errors).
  const caches = new WeakMap<DecompositionPlugin, ErrorCache>();

  const prepare = async (context: SelectionContext): Promise<Prepared[]> => {
    const cache = caches.get(context.decomposition) ?? new Map<string, number>();
    caches.set(context.decomposition, cache);
    const layers: Prepared[] = [];
    for (const { info, weight } of context.layers) {
      const spec = context.decomposition.rankSpec(info);
      const values = await linalg.toNdArray(weight);
      if (!values.data.every(Number.isFinite)) {
        throw new Error(`rank-error: layer '${info.name}' has NaN or Inf weights`);
      }
      const metric = context.metrics?.get(info.name) ?? FROBENIUS;
      const errorAt = await layerErrors(
        context.decomposition,
        info,
        weight,
        values,
        metric,
        cache,
        options,
        under,
      );
      const norm =
        NORM_NAMES[metric.kind] +
        (under === 'frobenius' && metric.kind !== 'frobenius' ? ' (of the Frobenius fit)' : '');
      layers.push({ info, spec, path: rankPath(spec), errorAt, norm });
    }
    return layers;
  };

  // One layer after another: measuring decomposes, and decompositions should not interleave.
  const stopsAt = async (layers: readonly Prepared[], threshold: number) => {
    const stops: PathStop[] = [];
    for (const { path, errorAt } of layers) stops.push(await smallestStep(path, errorAt, threshold));
    return stops;
  };

  const selectionOf = (
    context: SelectionContext,
    layers: readonly Prepared[],
    stops: readonly PathStop[],
    threshold: number,
    note = '',
  ): ErrorSelection => {
    const errors: Record<string, number> = {};
    const entries = layers.map(({ info, spec, path, norm }, j) => {
      const { step, error, reached } = stops[j];
      errors[info.name] = error;
      const where = `step ${step + 1} of ${path.length} along equal fractions of the rank bounds [${spec.max.join(', ')}]`;
      const reason = reached
        ? `error: ${norm} relative error ${shown(error)} <= threshold ${shown(threshold)} at ${where}`
        : `error: threshold ${shown(threshold)} not reached; ${norm} relative error ${shown(error)} at the rank bounds`;
      return layerSelection(context.decomposition, info, path[step], reason + note);
    });
    return { ...rankSelection(entries), threshold, errors };
  };

  return {
    kind: 'rank',
    name: 'error',
    async select(context, budget) {
      if (budget !== undefined) checkBudget(budget, 'rank-error');
      const layers = await prepare(context);
      if (budget === undefined) return selectionOf(context, layers, await stopsAt(layers, fixed), fixed);

      const fits = (stops: readonly PathStop[]) => {
        const { total } = selectionOf(context, layers, stops, 0);
        return fitsBudget(budget, total.before, total.after);
      };
      // The largest error at the minimum ranks: at this threshold every layer can stop first.
      let top = 0;
      for (const { path, errorAt } of layers) top = Math.max(top, await errorAt(path[0]));
      let [lo, hi] = [0, top];
      let high = await stopsAt(layers, hi);
      if (!fits(high)) {
        const smallest = selectionOf(context, layers, high, hi).total.after;
        throw new Error(
          `rank-error: the budget (${describeBudget(budget)}) cannot be met: at threshold ${shown(top)} (the largest error at the minimum ranks) the selected layers have ${smallest.params} params and ${smallest.flops} MACs; relax the budget`,
        );
      }
      const note = (t: number) =>
        `; threshold ${shown(t)} solved by bisection for the budget (${describeBudget(budget)})`;
      // Threshold 0 puts every layer at its rank bounds (the last step): when they fit, that
      // is the answer; otherwise the bounds stand in for it without measuring their errors.
      const bounds = layers.map(({ path }) => ({ step: path.length - 1, error: 0, reached: false }));
      if (fits(bounds)) {
        const exact = await stopsAt(layers, 0);
        if (fits(exact)) return selectionOf(context, layers, exact, 0, note(0));
      }
      let low: readonly PathStop[] = bounds;
      // Cost does not rise with the threshold: bisect until the fitting and the failing
      // selections are one path step apart (or the thresholds meet in floating point).
      const apart = () => low.reduce((n, s, j) => n + Math.abs(s.step - high[j].step), 0);
      while (apart() > 1 && hi - lo > 1e-12 * top) {
        const mid = (lo + hi) / 2;
        const stops = await stopsAt(layers, mid);
        if (fits(stops)) [hi, high] = [mid, stops];
        else [lo, low] = [mid, stops];
      }
      return selectionOf(context, layers, high, hi, note(hi));
    },
  };
}
