import { createEngine, type LayerInfo } from '@lowrank/core';
import { decompositionConformance } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cp, maxRank } from '../src/index.js';
import { convLayers, factorsOf, linearLayers, wellConditionedModel } from './helpers.js';

const engine = createEngine({ seed: 11 });

/**
 * Ranks up to the smaller channel count (within the plugin's bound), where the random
 * well-conditioned CP tensors are recovered by ALS reliably. Larger ranks (up to 26 for
 * 8x8x3x3) are exercised by the layer and bound tests in layer.test.ts and
 * plugin.test.ts: there a random CP tensor can sit near a degenerate one, where ALS
 * crawls (swamps), so recovery is not a fair pass/fail check.
 */
const recoverableRank = (layer: LayerInfo) =>
  Math.min(maxRank(layer), Math.min(layer.inChannels, layer.outChannels));

for (const lineSearch of [false, true]) {
  describe(`cp conformance${lineSearch ? ' (line search)' : ''}`, () => {
    for (const check of decompositionConformance({
      engine,
      plugin: cp(),
      layers: fc.oneof(linearLayers, convLayers),
      ranks: (layer, u) =>
        u.map((v) => [1 + Math.min(Math.floor(v * recoverableRank(layer)), recoverableRank(layer) - 1)]),
      randomFactors: (layer, ranks, seed) =>
        factorsOf(engine, wellConditionedModel(layer.weightShape, ranks[0], seed)),
      ranksOf: (f) => [f.lambda.shape[0]],
      recoveryTolerance: 1e-6,
      decomposeOptions: { maxIterations: 1000, tolerance: 1e-13, lineSearch },
      iterative: true,
      numRuns: 30,
    })) {
      it(check.name, () => expect(check.run()).resolves.toBeUndefined());
    }
  });
}
