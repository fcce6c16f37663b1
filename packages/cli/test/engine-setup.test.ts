import { normNeedsCalibration } from '@lowrank/core';
import { describe, expect, it } from 'vitest';
import { createCliEngine, NORMS, normPlugin } from '../src/engine-setup.js';

describe('createCliEngine', () => {
  it.each(NORMS)(
    "registers --norm %s's plugin under its name, and sigma for the report's Sigma errors",
    (norm) => {
      const engine = createCliEngine({ seed: 0, decompositions: ['svd'], norm, sigmaErrors: true });
      expect(engine.plugins.get('norm', norm).name).toBe(norm);
      expect(engine.plugins.has('norm', 'sigma')).toBe(true);
      const alone = createCliEngine({ seed: 0, decompositions: ['svd'], norm });
      expect(alone.plugins.has('norm', 'sigma')).toBe(norm === 'sigma');
    },
  );

  it('only the Frobenius norm says it needs no calibration images', () => {
    expect(NORMS.filter((n) => !normNeedsCalibration(normPlugin(n)))).toEqual(['frobenius']);
  });
});
