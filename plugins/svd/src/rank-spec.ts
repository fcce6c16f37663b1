import type { LayerInfo, RankSpec } from '@lowrank/core';

/** Columns of `W_mat`: `I*Kh*Kw` (the layer's weightShape past the first axis). */
export function matrixColumns(layer: LayerInfo): number {
  return layer.weightShape.slice(1).reduce((p, d) => p * d, 1);
}

/** One rank `r`, at most the rank of `W_mat`: `min(O, P)`. */
export function svdRankSpec(layer: LayerInfo): RankSpec {
  return { labels: ['r'], max: [Math.min(layer.outChannels, matrixColumns(layer))], min: [1] };
}
