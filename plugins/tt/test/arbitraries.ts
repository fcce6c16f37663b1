import { type Engine, type LayerInfo, SeededRandom } from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import type { TtFactors, TtPlugin } from '../src/index.js';

const channels = fc.integer({ min: 1, max: 8 });
const small = (max: number) => fc.integer({ min: 1, max });
const side = fc.integer({ min: 5, max: 9 });
const pad = fc.integer({ min: 0, max: 2 });

/** Linear layers O x I (channels 1-8 and, to exercise real TT-matrices, products of small modes up to 24). */
export const linearLayers: fc.Arbitrary<LayerInfo> = fc
  .record({
    o: fc.oneof(channels, fc.constantFrom(12, 16, 24)),
    i: fc.oneof(channels, fc.constantFrom(12, 18, 20)),
    bias: fc.boolean(),
  })
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

/** Ranks within the rank spec: each a random fraction of the way from 1 to its bound. */
export function ranksFor(plugin: TtPlugin) {
  return (layer: LayerInfo, rng: fc.Arbitrary<number>): fc.Arbitrary<number[]> => {
    const { max } = plugin.rankSpec(layer);
    return fc
      .tuple(...max.map(() => rng))
      .map((fs) => fs.map((f, k) => 1 + Math.floor(f * (max[k] - 1) + 0.5)));
  };
}

/** Random cores (normal entries) of the given interior ranks in the layer's layout. */
export function randomFactorsFor(plugin: TtPlugin, engine: Engine) {
  return (layer: LayerInfo, ranks: readonly number[], seed: number): TtFactors => {
    const layout = plugin.layout(layer);
    const r = [1, ...ranks, 1];
    const rng = new SeededRandom(seed);
    const cores = layout.modes.map((n, k) => {
      const shape =
        layout.kind === 'matrix'
          ? [r[k], layout.outModes[k], layout.inModes[k], r[k + 1]]
          : [r[k], n, r[k + 1]];
      const size = shape.reduce((p, s) => p * s, 1);
      return engine.tensor(
        Float64Array.from({ length: size }, () => rng.normal()),
        shape,
        'float64',
      );
    });
    return {
      layout: layout.kind,
      cores,
      outModes: layout.outModes,
      inModes: layout.inModes,
      weightShape: [...layer.weightShape],
    };
  };
}
