import { type Cost, type LayerInfo, outputSize } from '@lowrank/core';
import { matrixColumns } from './rank-spec.js';

/**
 * Params and MACs of the two-layer form at rank `r`: `r*P` (the `I -> r` conv with the
 * original kernel, or linear) plus `O*r` (the 1x1 conv or linear `r -> O`) plus the
 * bias, both evaluated at every output position.
 */
export function svdCost(layer: LayerInfo, ranks: readonly number[]): Cost {
  const [r] = ranks;
  const weights = r * matrixColumns(layer) + layer.outChannels * r;
  const [ho, wo] = outputSize(layer);
  return { params: weights + (layer.bias ? layer.outChannels : 0), flops: weights * ho * wo };
}
