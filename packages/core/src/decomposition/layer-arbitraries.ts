/**
 * fast-check arbitraries of layers for the decomposition plugins' property tests (exported
 * by `@lowrank/core/testing` only, like the other arbitraries).
 */
import * as fc from 'fast-check';
import { convLayer, linearLayer } from '../conformance/decomposition.js';
import type { LayerInfo } from './layer-info.js';
import type { RankSpec } from './plugin.js';

const channels = fc.integer({ min: 1, max: 8 });
const upTo = (max: number) => fc.integer({ min: 1, max });
const side = fc.integer({ min: 5, max: 9 });
const pad = fc.integer({ min: 0, max: 2 });

export interface LinearLayerSizes {
  /** Output sizes drawn besides 1-8 (e.g. products of small modes, for TT-matrices). */
  extraOut?: readonly number[];
  /** Input sizes drawn besides 1-8. */
  extraIn?: readonly number[];
}

/** Linear layers 'classifier.1' `O x I` (each 1-8, or one of the extra sizes), with or without bias. */
export function arbLinearLayer(sizes: LinearLayerSizes = {}): fc.Arbitrary<LayerInfo> {
  const size = (extra?: readonly number[]) =>
    extra ? fc.oneof(channels, fc.constantFrom(...extra)) : channels;
  return fc
    .record({ o: size(sizes.extraOut), i: size(sizes.extraIn), bias: fc.boolean() })
    .map(({ o, i, bias }) => linearLayer('classifier.1', o, i, bias));
}

/**
 * Ungrouped conv layers 'features.3', channels 1-8, with random stride, 4-sided padding,
 * dilation, rectangular kernels up to 3 x 3 and input sizes 5-9.
 */
export function arbConvLayer(): fc.Arbitrary<LayerInfo> {
  return fc
    .record({
      o: channels,
      i: channels,
      kernel: fc.tuple(upTo(3), upTo(3)),
      stride: fc.tuple(upTo(2), upTo(2)),
      padding: fc.tuple(pad, pad, pad, pad),
      dilation: fc.tuple(upTo(2), upTo(2)),
      inputSize: fc.tuple(side, side),
      bias: fc.boolean(),
    })
    .map(({ o, i, kernel, ...extra }) => convLayer('features.3', o, i, kernel, extra));
}

/** Linear layers (`arbLinearLayer(sizes)`) and conv layers (`arbConvLayer()`), either. */
export function arbLayer(sizes: LinearLayerSizes = {}): fc.Arbitrary<LayerInfo> {
  return fc.oneof(arbLinearLayer(sizes), arbConvLayer());
}

/**
 * Ranks within `plugin.rankSpec(layer)` for `decompositionConformance`: each rank a fraction
 * drawn from `rng` (in [0, 1]) of the way from 1 to its bound, rounded.
 */
export function arbRanksWithinSpec(plugin: { rankSpec(layer: LayerInfo): RankSpec }) {
  return (layer: LayerInfo, rng: fc.Arbitrary<number>): fc.Arbitrary<number[]> => {
    const { max } = plugin.rankSpec(layer);
    return fc
      .tuple(...max.map(() => rng))
      .map((fs) => fs.map((f, k) => 1 + Math.floor(f * (max[k] - 1) + 0.5)));
  };
}
