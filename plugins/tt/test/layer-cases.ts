import type { TtConv2dConfig } from '../src/index.js';

/** A TtConv2d config (float64) with a stride, 4-sided padding and a dilation that are not trivial. */
export function convConfig(
  inChannels: number,
  outChannels: number,
  ranks: [number, number],
  kernelSize: [number, number],
  bias = true,
): TtConv2dConfig {
  return {
    inChannels,
    outChannels,
    ranks,
    kernelSize,
    stride: [1, 2],
    padding: [1, 0, 2, 1],
    dilation: [2, 1],
    bias,
    dtype: 'float64',
  };
}

/**
 * Conv configs and batch sizes whose plans (on a 9 x 8 input) cover the four forms: one image
 * (three convs), `r2 = I` (fold `first`), `r1 = O` (fold `last`), both (the dense kernel).
 */
export function convCases(): [TtConv2dConfig, number][] {
  return [
    [convConfig(6, 5, [3, 2], [3, 3]), 1],
    [convConfig(4, 16, [5, 4], [3, 3]), 8],
    [convConfig(6, 4, [4, 2], [3, 3]), 4],
    [convConfig(2, 3, [3, 2], [3, 2], false), 3],
  ];
}
