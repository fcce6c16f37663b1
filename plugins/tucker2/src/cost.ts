import { type Cost, type LayerInfo, outputSize } from '@lowrank/core';
import { effectiveRanks, kernelPositions } from './rank-spec.js';

/**
 * Params and MACs of the three-layer form at the effective ranks: the 1x1 `I -> R2`
 * runs at every input position, the `Kh x Kw` core `R2 -> R1` and the 1x1 `R1 -> O`
 * at every output position (one position each for a linear layer, or for a conv layer
 * whose input size is unknown).
 */
export function tucker2Cost(layer: LayerInfo, ranks: readonly number[]): Cost {
  const [r1, r2] = effectiveRanks(layer, ranks);
  const [o, i] = [layer.outChannels, layer.inChannels];
  const first = i * r2;
  const rest = r1 * r2 * kernelPositions(layer) + r1 * o;
  const [ho, wo] = outputSize(layer);
  const inputPositions =
    layer.kind === 'conv2d' && layer.inputSize ? layer.inputSize[0] * layer.inputSize[1] : 1;
  return { params: first + rest + (layer.bias ? o : 0), flops: first * inputPositions + rest * ho * wo };
}
