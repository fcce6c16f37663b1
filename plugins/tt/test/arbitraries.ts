import { type Engine, type LayerInfo, SeededRandom } from '@lowrank/core';
import type { TtFactors, TtPlugin } from '../src/index.js';

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
