import { type Cost, type LayerInfo, outputSize } from '@lowrank/core';
import type { TtLayout } from './layout.js';
import { sequentialSegments, sweepWork } from './tt-linear-plan.js';

const product = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

/**
 * Params (cores and bias) and MACs per sample of the factorized layer at interior ranks `ranks`,
 * counted as the layer computes one sample: TT-FC contracts core `d` first, each core `k` then
 * costing `r_{k-1} m_k n_k r_k` per remaining index pair `(m_{>k}, n_{<k})`; the conv layouts
 * apply their input cores at the input size and the kernel and output cores at the output size.
 * (A batch may merge cores first where that is cheaper: `ttLinearPlan`, `ttConv2dPlan`; it then
 * costs less than this per sample.)
 */
export function ttCost(layer: LayerInfo, layout: TtLayout, ranks: readonly number[]): Cost {
  const r = [1, ...ranks, 1];
  const bias = layer.bias ? layer.outChannels : 0;
  const coreSize = (k: number) => r[k] * layout.modes[k] * r[k + 1];
  const params = layout.modes.reduce((s, _, k) => s + coreSize(k), 0) + bias;
  if (layout.kind === 'matrix') {
    const shape = { outModes: layout.outModes, inModes: layout.inModes, r };
    return { params, flops: sweepWork(shape, sequentialSegments(layout.modes.length)).macs };
  }
  const [hi, wi] = layer.inputSize ?? [1, 1];
  const [ho, wo] = outputSize(layer);
  const a = layout.outModes.length;
  let flops = 0;
  layout.inModes.forEach((_, j) => {
    flops += coreSize(a + 1 + j) * product(layout.inModes.slice(0, j)) * hi * wi;
  });
  flops += coreSize(a) * ho * wo;
  layout.outModes.forEach((_, j) => {
    flops += coreSize(j) * product(layout.outModes.slice(j + 1)) * ho * wo;
  });
  return { params, flops };
}
