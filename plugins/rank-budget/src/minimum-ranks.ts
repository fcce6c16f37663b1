import type { LayerInfo, RankSpec } from '@lowrank/core';

/** Per-layer minimum ranks: one number for every rank of the layer, or one per rank. */
export type MinimumRanks = Readonly<Record<string, number | readonly number[]>>;

/**
 * The floor of each rank of a layer: the largest of the spec's minimum, `minRank` and
 * the layer's entry in `minRanks`, capped at the rank bound.
 */
export function rankFloors(
  layer: LayerInfo,
  spec: RankSpec,
  minRank: number,
  minRanks: MinimumRanks,
): number[] {
  const own = minRanks[layer.name];
  if (Array.isArray(own) && own.length !== spec.max.length) {
    throw new Error(
      `rank-budget: minRanks for layer '${layer.name}' has ${own.length} entries; the layer has ${spec.max.length} ranks (${spec.labels.join(', ')})`,
    );
  }
  return spec.max.map((max, k) => {
    const requested = typeof own === 'number' ? own : (own?.[k] ?? 1);
    if (!Number.isInteger(requested) || requested < 1) {
      throw new Error(
        `rank-budget: minimum rank ${requested} for layer '${layer.name}' (${spec.labels[k]}) must be a positive integer`,
      );
    }
    return Math.min(max, Math.max(spec.min[k], minRank, requested));
  });
}
