import { createEngine, type LayerInfo } from '@lowrank/core';
import {
  arbConvLayer,
  arbLinearLayer,
  arbRanksWithinSpec,
  decompositionConformance,
} from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type TtPlugin, tt, ttFactorRanks } from '../src/index.js';
import { randomFactorsFor } from './arbitraries.js';

const engine = createEngine();
/** Channels 1-8 and, to exercise real TT-matrices, products of small modes up to 24. */
const linearLayers = arbLinearLayer({ extraOut: [12, 16, 24], extraIn: [12, 18, 20] });
const convLayers = arbConvLayer();

const cases: [string, TtPlugin, fc.Arbitrary<LayerInfo>][] = [
  ['tt (TT-matrix linear layers, three-core conv layers)', tt(), fc.oneof(linearLayers, convLayers)],
  ["tt({ layout: 'channels' }) (channel-factorised conv layers)", tt({ layout: 'channels' }), convLayers],
];

for (const [title, plugin, layers] of cases) {
  describe(title, () => {
    const checks = decompositionConformance({
      engine,
      plugin,
      layers,
      ranks: arbRanksWithinSpec(plugin),
      randomFactors: randomFactorsFor(plugin, engine),
      ranksOf: ttFactorRanks,
      recoveryTolerance: 1e-9,
      monotoneInRank: true,
      numRuns: 40,
    });
    for (const c of checks) it(c.name, () => expect(c.run()).resolves.toBeUndefined());
  });
}
