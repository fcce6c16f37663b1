import type { Cost, LayerInfo } from '@lowrank/core';
import type { TrLayout } from './layout.js';
import { trConvMacs, trConvOrder } from './tr-conv-order.js';
import { cheapestOrder, trLinearPlan } from './tr-linear-plan.js';

/**
 * Params (cores and bias) and MACs per sample of the factorized layer at ring ranks `ranks`,
 * counted as the layer computes: TR-FC contracts the input with one core at a time in the
 * cheapest order (`cheapestOrder`, `trLinearPlan`); TR-conv runs the order `trConvOrder` picks.
 */
export function trCost(layer: LayerInfo, layout: TrLayout, ranks: readonly number[]): Cost {
  const d = layout.modes.length;
  const r = (k: number) => ranks[k % d];
  const coreSize = (k: number) => r(k) * layout.modes[k] * r(k + 1);
  const params = layout.modes.reduce((s, _, k) => s + coreSize(k), 0) + (layer.bias ? layer.outChannels : 0);
  if (layout.kind === 'matrix') {
    const { outModes: m, inModes: n } = layout;
    return { params, flops: trLinearPlan(m, n, ranks, cheapestOrder(m, n, ranks)).macs };
  }
  return { params, flops: trConvMacs(layer, ranks, trConvOrder(layer, ranks)) };
}
