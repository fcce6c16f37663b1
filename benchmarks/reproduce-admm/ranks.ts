import {
  type Cost,
  type DecompositionPlugin,
  denseCost,
  type Engine,
  type LayerInfo,
  layerInfo,
  type nn,
} from '@lowrank/core';
import { rankBudget } from '@lowrank/rank-budget';

/** The ranks of one layer, or null when it stays dense (factorizing would not save params). */
export interface LayerRanks {
  name: string;
  ranks: number[] | null;
  dense: Cost;
  cost: Cost;
}

export interface RankPlan {
  rule: 'equal' | 'budget';
  /** 'equal': the one TT rank shared by every interior rank (capped by each bound). */
  sharedRank?: number;
  layers: LayerRanks[];
  params: { before: number; after: number };
  ratio: number;
  flops: { before: number; after: number };
}

/** LeNet-5's conv and linear layers with their input sizes (for MAC counts). */
export const LENET5_LAYERS: readonly { name: string; inputSize?: [number, number] }[] = [
  { name: 'conv1', inputSize: [28, 28] },
  { name: 'conv2', inputSize: [14, 14] },
  { name: 'fc1' },
  { name: 'fc2' },
  { name: 'fc3' },
];

/**
 * Ranks meeting `ratio` over the whole model. 'equal' (the admm paper's scheme): one rank r for
 * every interior TT rank of every layer, capped by the layer's bounds, the largest r whose
 * model params are within the budget; a layer whose factorized params would not be below its
 * dense params stays dense. 'budget': @lowrank/rank-budget with a model-scope ratio budget
 * (each rank a common fraction of its bound).
 */
export async function planRanks(
  engine: Engine,
  model: nn.Module,
  decomposition: DecompositionPlugin,
  ratio: number,
  rule: 'equal' | 'budget',
): Promise<RankPlan> {
  const layers = LENET5_LAYERS.map(({ name, inputSize }) => {
    const module = model.getModule(name) as nn.Linear | nn.Conv2d;
    return { info: layerInfo(name, module, inputSize), weight: module.weight };
  });
  const total = model.numParameters();
  const denseSum = layers.reduce((s, l) => s + denseCost(l.info).params, 0);
  const rest = { params: total - denseSum, flops: 0 };
  const budget = total / ratio;
  let chosen: LayerRanks[];
  let sharedRank: number | undefined;
  if (rule === 'budget') {
    const selection = await rankBudget().select(
      { engine, decomposition, layers },
      { kind: 'ratio', value: ratio, scope: 'model', rest },
    );
    chosen = selection.layers.map((l) => ({
      name: l.name,
      ranks: l.keptDense ? null : l.ranks,
      dense: l.dense,
      cost: l.cost,
    }));
  } else {
    const at = (r: number) => layers.map(({ info }) => equalRanks(decomposition, info, r));
    const paramsAt = (r: number) => rest.params + at(r).reduce((s, l) => s + l.cost.params, 0);
    if (paramsAt(1) > budget) {
      throw new Error(
        `a ${ratio}x budget (${Math.floor(budget)} params) is not met even with every TT rank 1`,
      );
    }
    const largest = Math.max(...layers.flatMap(({ info }) => decomposition.rankSpec(info).max));
    sharedRank = 1;
    while (sharedRank < largest && paramsAt(sharedRank + 1) <= budget) sharedRank++;
    chosen = at(sharedRank);
  }
  const before = { params: total, flops: layers.reduce((s, l) => s + denseCost(l.info).flops, 0) };
  const after = {
    params: rest.params + chosen.reduce((s, l) => s + l.cost.params, 0),
    flops: chosen.reduce((s, l) => s + l.cost.flops, 0),
  };
  return {
    rule,
    sharedRank,
    layers: chosen,
    params: { before: before.params, after: after.params },
    ratio: before.params / after.params,
    flops: { before: before.flops, after: after.flops },
  };
}

function equalRanks(decomposition: DecompositionPlugin, info: LayerInfo, r: number): LayerRanks {
  const spec = decomposition.rankSpec(info);
  const ranks = spec.max.map((max, i) => Math.max(spec.min[i], Math.min(r, max)));
  const dense = denseCost(info);
  const cost = decomposition.cost(info, ranks);
  return cost.params < dense.params
    ? { name: info.name, ranks, dense, cost }
    : { name: info.name, ranks: null, dense, cost: dense };
}
