import { type LayerInfo, nn } from '@lowrank/core';
import { metricConformance } from '@lowrank/core/testing';
import { describe, expect, it } from 'vitest';
import { tr } from '../src/index.js';

/** Every ring rank 2, capped by its bound. */
const rankTwo = (info: LayerInfo) =>
  tr()
    .rankSpec(info)
    .max.map((m) => Math.min(m, 2));

describe('TR under the whitened (Sigma) metric through decomposeWithMetric', () => {
  const checks = metricConformance({
    plugin: tr,
    baseline: 'TR-ALS',
    cases: [
      { label: 'TR-FC linear 16 x 12', build: (e) => new nn.Linear(e, 12, 16), ranks: rankTwo },
      {
        label: 'ring conv 8 x 6 x 3 x 3',
        build: (e) => new nn.Conv2d(e, 6, 8, 3, { padding: 1 }),
        ranks: rankTwo,
      },
    ],
  });
  it('declares no native Sigma algorithm, so these checks exercise the generic refinement', () => {
    expect(tr().metrics ?? ['frobenius']).not.toContain('whitened');
  });
  for (const c of checks) it(c.name, c.run);
});
