import { nn } from '@lowrank/core';
import { metricConformance } from '@lowrank/core/testing';
import { describe, expect, it } from 'vitest';
import { tt } from '../src/index.js';

describe('TT under the whitened (Sigma) metric through decomposeWithMetric', () => {
  const checks = metricConformance({
    plugin: tt,
    baseline: 'TT-SVD',
    cases: [
      { label: 'TT-matrix linear 16 x 12', build: (e) => new nn.Linear(e, 12, 16), ranks: () => [3, 3] },
      {
        label: 'three-core conv 8 x 6 x 3 x 3',
        build: (e) => new nn.Conv2d(e, 6, 8, 3, { padding: 1 }),
        ranks: () => [3, 4],
      },
    ],
  });
  it('declares no native Sigma algorithm, so these checks exercise the generic refinement', () => {
    expect(tt().metrics ?? ['frobenius']).not.toContain('whitened');
  });
  for (const c of checks) it(c.name, c.run);
});
