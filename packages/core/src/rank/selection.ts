import { type Cost, denseCost, type LayerInfo } from '../decomposition/layer-info.js';
import type { DecompositionPlugin } from '../decomposition/plugin.js';
import type { LayerSelection, RankSelection } from './plugin.js';

/**
 * One layer's entry of a selection: the factorized cost at `ranks`, or the dense cost
 * with `keptDense` when factorizing would not make the layer smaller (params or MACs).
 */
export function layerSelection(
  decomposition: DecompositionPlugin,
  info: LayerInfo,
  ranks: readonly number[],
  reason: string,
): LayerSelection {
  const dense = denseCost(info);
  const factorized = decomposition.cost(info, ranks);
  const keptDense = factorized.params >= dense.params;
  return {
    name: info.name,
    ranks: [...ranks],
    reason: keptDense
      ? `${reason}; kept dense: ${factorized.params} factorized params >= ${dense.params} dense`
      : reason,
    cost: keptDense ? dense : factorized,
    dense,
    keptDense,
  };
}

function sum(costs: readonly Cost[]): Cost {
  return costs.reduce((a, c) => ({ params: a.params + c.params, flops: a.flops + c.flops }), {
    params: 0,
    flops: 0,
  });
}

/** A selection from its layers' entries, with the totals before and after. */
export function rankSelection(layers: LayerSelection[]): RankSelection {
  return {
    layers,
    total: { before: sum(layers.map((l) => l.dense)), after: sum(layers.map((l) => l.cost)) },
  };
}
