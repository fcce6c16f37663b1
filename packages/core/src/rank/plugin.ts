import type { Cost, LayerInfo } from '../decomposition/layer-info.js';
import type { Metric } from '../decomposition/metric.js';
import type { DecompositionPlugin } from '../decomposition/plugin.js';
import type { Engine } from '../engine.js';
import type { CalibrationLayer, Collector } from '../norm/plugin.js';
import type { PluginBase } from '../plugins.js';
import type { Tensor } from '../tensor.js';

/** The layers a selector chooses ranks for, with the decomposition whose ranks they are. */
export interface SelectionContext {
  engine: Engine;
  decomposition: DecompositionPlugin;
  layers: readonly { info: LayerInfo; weight: Tensor }[];
  /** What the selector's own `collector` gathered on calibration data, by layer name. */
  stats?: Map<string, unknown>;
  /** The norm's metric per layer name, when the layers are compressed under a norm (Sigma, Fisher). */
  metrics?: ReadonlyMap<string, Metric>;
}

/**
 * What the selected ranks must fit. `ratio`: params before over params after at least
 * `value` (3 means 3x fewer); `params`: params after at most `value`; `flops-reduction`:
 * MACs before over MACs after at least `value` (2 means half the MACs). With scope
 * `'layers'` (the default) the counts are over the selected layers only; with `'model'`
 * they include `rest`, the cost of the model's other parts, which no rank changes.
 */
export type Budget = { kind: 'ratio' | 'params' | 'flops-reduction'; value: number } & (
  | { scope?: 'layers' }
  | { scope: 'model'; rest: Cost }
);

/** The ranks chosen for one layer, why, and what they cost. */
export interface LayerSelection {
  name: string;
  ranks: number[];
  /** Which rule bound the ranks, e.g. 'energy 0.9 of unfold(W,0)' or 'rank bound'. */
  reason: string;
  /** Cost of the layer as it will be: the factorized cost, or the dense cost when kept dense. */
  cost: Cost;
  dense: Cost;
  /** True when factorizing at these ranks would not be smaller than the dense layer. */
  keptDense: boolean;
}

export interface RankSelection {
  layers: LayerSelection[];
  /** Sums over the selected layers, before (dense) and after. */
  total: { before: Cost; after: Cost };
}

/** A rank selection rule, registered with `engine.use(...)`. Selections are deterministic. */
export interface RankSelectorPlugin extends PluginBase<'rank'> {
  /** Selectors that learn from calibration data (LWIQ) gather it here, like a norm. */
  collector?(layers: readonly CalibrationLayer[]): Collector;
  select(context: SelectionContext, budget?: Budget): Promise<RankSelection>;
}
