import type { LayerInfo, RankSpec } from '@lowrank/core';

/** `K = Kh*Kw` (1 for a linear layer). */
export function kernelPositions(layer: LayerInfo): number {
  return layer.weightShape.slice(2).reduce((p, d) => p * d, 1);
}

/**
 * `[R1, R2]`, each at most the rank of its unfolding: `R1 <= min(O, I*K)` (of
 * `unfold(W, 0)`) and `R2 <= min(I, O*K)` (of `unfold(W, 1)`).
 */
export function tucker2RankSpec(layer: LayerInfo): RankSpec {
  const k = kernelPositions(layer);
  const [o, i] = [layer.outChannels, layer.inChannels];
  return { labels: ['R1 (out)', 'R2 (in)'], max: [Math.min(o, i * k), Math.min(i, o * k)], min: [1, 1] };
}

/**
 * The ranks a decomposition at `[R1, R2]` actually has: `R1 <= R2*K` and `R2 <= R1*K`,
 * because the core's unfoldings (`R1 x R2*K` and `R2 x R1*K`) bound the multilinear
 * rank; a larger request would only add parameters that represent nothing more.
 * For a linear layer (`K = 1`) both become `min(R1, R2)`.
 */
export function effectiveRanks(layer: LayerInfo, ranks: readonly number[]): [number, number] {
  const k = kernelPositions(layer);
  const [r1, r2] = ranks;
  return [Math.min(r1, r2 * k), Math.min(r2, r1 * k)];
}
