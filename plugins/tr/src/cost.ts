import { type Cost, type LayerInfo, outputSize } from '@lowrank/core';
import type { TrLayout } from './layout.js';

const product = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

/**
 * Params (cores and bias) and MACs per sample of the factorized layer at ring ranks `ranks`,
 * counted as the layer computes: TR-FC contracts the last core first and carries `R_0` through
 * the middle cores; TR-conv maps the input to `R0 R2` channels at the input size, runs the
 * kernel core on `R0` slices and closes the ring at the output size.
 */
export function trCost(layer: LayerInfo, layout: TrLayout, ranks: readonly number[]): Cost {
  const d = layout.modes.length;
  const r = (k: number) => ranks[k % d];
  const coreSize = (k: number) => r(k) * layout.modes[k] * r(k + 1);
  const params = layout.modes.reduce((s, _, k) => s + coreSize(k), 0) + (layer.bias ? layer.outChannels : 0);
  if (layout.kind === 'matrix') {
    const { outModes: m, inModes: n } = layout;
    // Each core k once per remaining index pair (m_{>k}, n_{<k}); the middle ones once more per R_0.
    const flops = m.reduce(
      (s, _, k) =>
        s + coreSize(k) * product(m.slice(k + 1)) * product(n.slice(0, k)) * (k > 0 && k < d - 1 ? r(0) : 1),
      0,
    );
    return { params, flops };
  }
  const [hi, wi] = layer.inputSize ?? [1, 1];
  const [ho, wo] = outputSize(layer);
  return { params, flops: coreSize(2) * hi * wi + coreSize(1) * r(0) * ho * wo + coreSize(0) * ho * wo };
}
