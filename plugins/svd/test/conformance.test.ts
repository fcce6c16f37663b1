import { createEngine, type LayerInfo } from '@lowrank/core';
import { arbLayer, decompositionConformance } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SvdFactors, svd } from '../src/index.js';

const layers = arbLayer();
const engine = createEngine();
const plugin = svd();

/** `u v` has rank exactly `r` for Gaussian `u` (O x r) and `v` (r x P) almost surely. */
function randomFactors(layer: LayerInfo, ranks: readonly number[], seed: number): SvdFactors {
  const [r] = ranks;
  const p = layer.weightShape.slice(1).reduce((a, d) => a * d, 1);
  return {
    u: engine.randn([layer.outChannels, r], { dtype: 'float64', seed }),
    v: engine.randn([r, p], { dtype: 'float64', seed: seed + 1 }),
    s: engine.ones([r], 'float64'), // not used by reconstruct
    weightShape: [...layer.weightShape],
  };
}

describe('svd conformance (linear and conv layers with stride, 4-sided padding, dilation, rectangular kernels)', () => {
  for (const check of decompositionConformance({
    engine,
    plugin,
    layers,
    ranks: (layer) => fc.integer({ min: 1, max: plugin.rankSpec(layer).max[0] }).map((r) => [r]),
    randomFactors,
    ranksOf: (f) => [f.s.shape[0]],
    recoveryTolerance: 1e-9,
    monotoneInRank: true,
    numRuns: 25,
  })) {
    it(check.name, () => expect(check.run()).resolves.toBeUndefined());
  }
});
