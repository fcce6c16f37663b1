import { createEngine } from '@lowrank/core';
import { decompositionConformance } from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tt, ttFactorRanks } from '../src/index.js';
import { convLayers, linearLayers, randomFactorsFor, ranksFor } from './arbitraries.js';

const engine = createEngine();

describe('tt (TT-matrix linear layers, three-core conv layers)', () => {
  const plugin = tt();
  const checks = decompositionConformance({
    engine,
    plugin,
    layers: fc.oneof(linearLayers, convLayers),
    ranks: ranksFor(plugin),
    randomFactors: randomFactorsFor(plugin, engine),
    ranksOf: ttFactorRanks,
    recoveryTolerance: 1e-9,
    monotoneInRank: true,
    numRuns: 40,
  });
  for (const c of checks) it(c.name, () => expect(c.run()).resolves.toBeUndefined());
});

describe("tt({ layout: 'channels' }) (channel-factorised conv layers)", () => {
  const plugin = tt({ layout: 'channels' });
  const checks = decompositionConformance({
    engine,
    plugin,
    layers: convLayers,
    ranks: ranksFor(plugin),
    randomFactors: randomFactorsFor(plugin, engine),
    ranksOf: ttFactorRanks,
    recoveryTolerance: 1e-9,
    monotoneInRank: true,
    numRuns: 40,
  });
  for (const c of checks) it(c.name, () => expect(c.run()).resolves.toBeUndefined());
});
