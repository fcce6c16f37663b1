import { windowOutput } from '@lowrank/core';
import type { TtConv2dConfig } from './tt-conv2d.js';

/**
 * How a `TtConv2d` runs a batch: `mergeFirst` folds the input-side 1x1 conv (`G3`) into the
 * kernel conv, `mergeLast` folds the output-side one (`G1`); both make the dense kernel.
 */
export interface TtConv2dPlan {
  mergeFirst: boolean;
  mergeLast: boolean;
  /** Multiply-accumulates of the merges plus the convs over the whole batch. */
  macs: number;
}

/**
 * The plan with the fewest MACs for `batch` images of `inputSize` (a tie keeps the three
 * convs). A merge costs a product of two small weights once per call and saves a 1x1 conv
 * per image; a single image always runs the three convs, the form `cost` reports and the
 * ONNX export writes.
 */
export function ttConv2dPlan(
  config: TtConv2dConfig,
  batch: number,
  inputSize: [number, number],
): TtConv2dPlan {
  const { inChannels: i, outChannels: o, kernelSize, stride, padding, dilation } = config;
  const [r1, r2] = config.ranks;
  const k = kernelSize[0] * kernelSize[1];
  const [hi, wi] = inputSize;
  const ho = windowOutput(hi, kernelSize[0], stride[0], padding[0], padding[1], dilation[0]);
  const wo = windowOutput(wi, kernelSize[1], stride[1], padding[2], padding[3], dilation[1]);
  const first = i * r2 * hi * wi;
  const kernel = (cin: number, cout: number) => cin * k * cout * ho * wo;
  const last = r1 * o * ho * wo;
  const sequential = { mergeFirst: false, mergeLast: false, macs: batch * (first + kernel(r2, r1) + last) };
  if (batch <= 1) return sequential;
  const candidates: TtConv2dPlan[] = [
    sequential,
    { mergeFirst: true, mergeLast: false, macs: r1 * k * r2 * i + batch * (kernel(i, r1) + last) },
    { mergeFirst: false, mergeLast: true, macs: o * r1 * r2 * k + batch * (first + kernel(r2, o)) },
    { mergeFirst: true, mergeLast: true, macs: r1 * k * r2 * i + o * r1 * i * k + batch * kernel(i, o) },
  ];
  return candidates.reduce((best, c) => (c.macs < best.macs ? c : best));
}
