import { type Engine, type LayerInfo, SeededRandom } from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import type { TrFactors, TrPlugin } from '../src/index.js';

const channels = fc.integer({ min: 1, max: 8 });
const small = (max: number) => fc.integer({ min: 1, max });
const side = fc.integer({ min: 5, max: 9 });
const pad = fc.integer({ min: 0, max: 2 });

/** Linear layers O x I (channels 1-8, and products of small modes up to 24 for real rings). */
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

/** Ring ranks within the rank spec: each a random fraction of the way from 1 to its bound. */
export function ranksFor(plugin: TrPlugin) {
  return (layer: LayerInfo, rng: fc.Arbitrary<number>): fc.Arbitrary<number[]> => {
    const { max } = plugin.rankSpec(layer);
    return fc
      .tuple(...max.map(() => rng))
      .map((fs) => fs.map((f, k) => 1 + Math.floor(f * (max[k] - 1) + 0.5)));
  };
}

/**
 * Random ring cores of the given ranks whose bond at TR-SVD's cut carries one component (core
 * `s` is zero beyond left index 0): rings of ranks at most the requested ones that TR-SVD
 * recovers exactly. A generic ring is not recovered by TR-SVD at its own ranks (the first SVD
 * mixes the two ranks at the cut), and TR-ALS from a random start may stall in a local minimum.
 */
export function cutRingFactorsFor(plugin: TrPlugin, engine: Engine) {
  return (layer: LayerInfo, ranks: readonly number[], seed: number): TrFactors => {
    const layout = plugin.layout(layer);
    const d = layout.modes.length;
    const rng = new SeededRandom(seed);
    const cores = layout.modes.map((n, k) => {
      const [r, r2] = [ranks[k], ranks[(k + 1) % d]];
      const values = Float64Array.from({ length: r * n * r2 }, (_, e) =>
        k === layout.start && e >= n * r2 ? 0 : rng.normal(),
      );
      const shape = layout.kind === 'matrix' ? [r, layout.outModes[k], layout.inModes[k], r2] : [r, n, r2];
      return engine.tensor(values, shape, 'float64');
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
