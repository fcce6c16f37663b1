import { type Engine, type LayerInfo, SeededRandom } from '@lowrank/core';
import type { TrFactors, TrPlugin } from '../src/index.js';

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
