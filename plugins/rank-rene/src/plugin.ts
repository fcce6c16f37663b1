import type { Budget, nn, RankSelectorPlugin, SelectionContext } from '@lowrank/core';
import { type ReneSelection, reneSearch } from './search.js';
import type { ReneSettings, ValidationBatch } from './settings.js';

/** What `rene()` needs besides the selection context: the model the layers belong to and its data. */
export interface ReneOptions extends ReneSettings {
  /** The model whose layers (by the context's layer names) are searched. */
  model: nn.Module;
  validation: readonly ValidationBatch[];
}

export interface ReneRankSelector extends RankSelectorPlugin {
  select(context: SelectionContext, budget?: Budget): Promise<ReneSelection>;
}

/**
 * RENE as a rank selector: `select` runs `reneSearch` on the context's layers (found in
 * `options.model` by name) with the context's decomposition, and meets the budget, when
 * one is given, by scaling the searched ranks.
 */
export function rene(options: ReneOptions): ReneRankSelector {
  const { model, validation, ...settings } = options;
  return {
    kind: 'rank',
    name: 'rank-rene',
    select(context, budget) {
      return reneSearch(context.engine, model, {
        ...settings,
        decomposition: context.decomposition,
        layers: context.layers.map((l) => l.info.name),
        validation,
        budget,
      });
    },
  };
}
