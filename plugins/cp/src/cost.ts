import { type Cost, type LayerInfo, outputSize } from '@lowrank/core';

/**
 * The largest rank whose factors hold no more numbers than the dense weight:
 * `floor(O I Kh Kw / (O + I + Kh + Kw))` for a conv, `floor(O I / (O + I))` for a
 * linear layer, at least 1. Beyond it the factorized layer is bigger than the dense one.
 * (A CP rank may exceed every dimension, so there is no unfolding bound to add.)
 */
export function maxRank(layer: LayerInfo): number {
  const dims = layer.weightShape;
  const size = dims.reduce((p, s) => p * s, 1);
  const perRank = dims.reduce((s, d) => s + d, 0);
  return Math.max(1, Math.floor(size / perRank));
}

/**
 * Params and MACs per sample of the factorized layer at rank `R` (ALGORITHMS.md, "CP").
 * Conv on an `H x W` input with an `Ho x Wo` output: the 1x1 `I -> R` runs at `H x W`,
 * the `Kh x 1` depthwise at `Ho x W`, the `1 x Kw` depthwise and the 1x1 `R -> O` at
 * `Ho x Wo`. Without an input size every stage counts one position.
 */
export function cpCost(layer: LayerInfo, rank: number): Cost {
  const [o, i] = [layer.outChannels, layer.inChannels];
  const bias = layer.bias ? o : 0;
  if (layer.kind === 'linear') return { params: rank * (i + o) + bias, flops: rank * (i + o) };
  const [kh, kw] = layer.kernel;
  const [ho, wo] = outputSize(layer);
  const [h, w] = layer.inputSize ?? [ho, wo];
  return {
    params: rank * (i + kh + kw + o) + bias,
    flops: rank * (i * h * w + kh * ho * w + kw * ho * wo + o * ho * wo),
  };
}
