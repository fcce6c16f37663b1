import type { LayerInfo } from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import * as fc from 'fast-check';

const channels = fc.integer({ min: 1, max: 8 });
const small = (max: number) => fc.integer({ min: 1, max });
const side = fc.integer({ min: 5, max: 9 });
const pad = fc.integer({ min: 0, max: 2 });

/** Linear layers O x I, with or without bias. */
export const linearLayers: fc.Arbitrary<LayerInfo> = fc
  .record({ o: channels, i: channels, bias: fc.boolean() })
  .map(({ o, i, bias }) => linearLayer('classifier.1', o, i, bias));

/** Conv layers with random stride, 4-sided padding, dilation, rectangular kernels and input sizes. */
export const convLayers: fc.Arbitrary<LayerInfo> = fc
  .record({
    o: channels,
    i: channels,
    kernel: fc.tuple(small(3), small(3)),
    stride: fc.tuple(small(2), small(2)),
    padding: fc.tuple(pad, pad, pad, pad),
    dilation: fc.tuple(small(2), small(2)),
    inputSize: fc.tuple(side, side),
    bias: fc.boolean(),
  })
  .map(({ o, i, kernel, ...extra }) => convLayer('features.3', o, i, kernel, extra));

export const layers: fc.Arbitrary<LayerInfo> = fc.oneof(linearLayers, convLayers);
