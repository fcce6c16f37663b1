import {
  type Budget,
  type Cost,
  checkRanks,
  type DecompositionPlugin,
  type Engine,
  type LayerInfo,
  layerSelection,
  type Metric,
  type RankSelection,
  rankSelection,
  type Tensor,
} from '@lowrank/core';
import { layerwiseDecomposition } from './layerwise-decomposition.js';

/** A budget as a recipe gives it; `scope: 'model'` gets the rest of the model's cost filled in. */
export type BudgetRecipe = {
  kind: Budget['kind'];
  value: number;
  /** Count the selected layers only (default) or the whole model. */
  scope?: 'layers' | 'model';
};

/**
 * How ranks are chosen: a registered rank selector by name with an optional budget, or
 * explicit ranks for every compressed layer (one number for single-rank decompositions,
 * an array otherwise).
 */
export type RankRecipe =
  | { selector: string; budget?: BudgetRecipe }
  | { explicit: Readonly<Record<string, number | readonly number[]>> };

/** A layer whose ranks are chosen: geometry with input size, weight, and its decomposition. */
export interface RankLayer {
  info: LayerInfo;
  weight: Tensor;
  decomposition: DecompositionPlugin;
}

export interface SelectRanksOptions {
  ranks: RankRecipe;
  /** Cost of everything outside the selected layers (for `scope: 'model'` budgets). */
  rest: Cost;
  /** The rank selector's own statistics from calibration. */
  stats?: Map<string, unknown>;
  /** The norm's metric per layer. */
  metrics?: ReadonlyMap<string, Metric>;
}

/**
 * The rank selection step: runs the named selector over all layers at once (one budget
 * across decompositions) or checks explicit ranks, whose errors name the layer. The
 * entries come back in the order of `layers`.
 */
export async function selectRanks(
  engine: Engine,
  layers: readonly RankLayer[],
  options: SelectRanksOptions,
): Promise<RankSelection> {
  const recipe = options.ranks;
  if ('explicit' in recipe) return explicitRanks(layers, recipe.explicit);
  const selector = engine.plugins.get('rank', recipe.selector);
  const budget = recipe.budget && toBudget(recipe.budget, options.rest);
  const selection = await selector.select(
    {
      engine,
      decomposition: layerwiseDecomposition(new Map(layers.map((l) => [l.info.name, l.decomposition]))),
      layers: layers.map(({ info, weight }) => ({ info, weight })),
      stats: options.stats,
      metrics: options.metrics,
    },
    budget,
  );
  const byName = new Map(selection.layers.map((entry) => [entry.name, entry]));
  return rankSelection(
    layers.map(({ info }) => {
      const entry = byName.get(info.name);
      if (!entry) throw new Error(`selectRanks: ${selector.name} chose no ranks for '${info.name}'`);
      return entry;
    }),
  );
}

function toBudget(recipe: BudgetRecipe, rest: Cost): Budget {
  return recipe.scope === 'model'
    ? { kind: recipe.kind, value: recipe.value, scope: 'model', rest }
    : { kind: recipe.kind, value: recipe.value };
}

function explicitRanks(
  layers: readonly RankLayer[],
  explicit: Readonly<Record<string, number | readonly number[]>>,
): RankSelection {
  const names = new Set(layers.map((l) => l.info.name));
  const unknown = Object.keys(explicit).filter((name) => !names.has(name));
  if (unknown.length > 0) {
    throw new Error(
      `selectRanks: explicit ranks for ${unknown.map((n) => `'${n}'`).join(', ')}, which ${unknown.length > 1 ? 'are' : 'is'} not among the compressed layers (${[...names].join(', ')})`,
    );
  }
  return rankSelection(
    layers.map(({ info, decomposition }) => {
      const given = explicit[info.name];
      if (given === undefined) {
        throw new Error(
          `selectRanks: no explicit ranks for '${info.name}'; give them (${decomposition.rankSpec(info).labels.join(', ')}) or exclude the layer`,
        );
      }
      const ranks = typeof given === 'number' ? [given] : [...given];
      checkRanks(`selectRanks (${decomposition.name})`, info, ranks, decomposition.rankSpec(info));
      return layerSelection(decomposition, info, ranks, 'explicit ranks');
    }),
  );
}
