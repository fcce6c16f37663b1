import { createEngine, type LayerInfo } from '@lowrank/core';
import { arbLayer, decompositionConformance } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Tucker2Factors, tucker2 } from '../src/index.js';

const layers = arbLayer();
const engine = createEngine();
const plugin = tucker2();

/** Gaussian U (O x R1), V (I x R2) and core: the reconstruction has the multilinear rank the decomposition can reach at these ranks. */
function randomFactors(layer: LayerInfo, ranks: readonly number[], seed: number): Tucker2Factors {
  const [r1, r2] = ranks;
  return {
    core: engine.randn([r1, r2, ...layer.weightShape.slice(2)], { dtype: 'float64', seed }),
    u: engine.randn([layer.outChannels, r1], { dtype: 'float64', seed: seed + 1 }),
    v: engine.randn([layer.inChannels, r2], { dtype: 'float64', seed: seed + 2 }),
    weightShape: [...layer.weightShape],
  };
}

describe('tucker2 conformance (linear and conv layers with stride, 4-sided padding, dilation, rectangular kernels)', () => {
  for (const check of decompositionConformance({
    engine,
    plugin,
    layers,
    ranks: (layer) => {
      const { max } = plugin.rankSpec(layer);
      return fc.tuple(fc.integer({ min: 1, max: max[0] }), fc.integer({ min: 1, max: max[1] }));
    },
    randomFactors,
    ranksOf: (f) => [f.u.shape[1], f.v.shape[1]],
    recoveryTolerance: 1e-9,
    iterative: true,
    monotoneInRank: true,
    numRuns: 25,
  })) {
    it(check.name, () => expect(check.run()).resolves.toBeUndefined());
  }
});
