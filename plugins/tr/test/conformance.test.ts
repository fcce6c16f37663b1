import { createEngine } from '@lowrank/core';
import {
  arbConvLayer,
  arbLinearLayer,
  arbRanksWithinSpec,
  decompositionConformance,
} from '@lowrank/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tr, trFactorRanks } from '../src/index.js';
import { cutRingFactorsFor } from './arbitraries.js';

const engine = createEngine();
/** Channels 1-8, and products of small modes up to 24 for real rings. */
const linearLayers = arbLinearLayer({ extraOut: [12, 16, 24], extraIn: [12, 18, 20] });
const plugin = tr();
const common = {
  engine,
  plugin,
  layers: fc.oneof(linearLayers, arbConvLayer()),
  ranks: arbRanksWithinSpec(plugin),
  randomFactors: cutRingFactorsFor(plugin, engine),
  ranksOf: trFactorRanks,
  numRuns: 30,
};

describe("tr, algorithm 'svd' (TR-SVD)", () => {
  for (const c of decompositionConformance({
    ...common,
    recoveryTolerance: 1e-9,
    decomposeOptions: { algorithm: 'svd' },
  }))
    it(c.name, () => expect(c.run()).resolves.toBeUndefined());
});

describe("tr, algorithm 'als' (TR-ALS from TR-SVD, the default)", () => {
  for (const c of decompositionConformance({
    ...common,
    recoveryTolerance: 1e-2,
    iterative: true,
    decomposeOptions: { maxIterations: 20 },
  })) {
    it(c.name, () => expect(c.run()).resolves.toBeUndefined());
  }
});
