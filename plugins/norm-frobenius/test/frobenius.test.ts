import { calibrate, createEngine, layerInfo, nn, normNeedsCalibration } from '@lowrank/core';
import { describe, expect, it } from 'vitest';
import { frobenius } from '../src/index.js';

describe('frobenius()', () => {
  it('registers as the norm plugin named frobenius', () => {
    const engine = createEngine().use(frobenius());
    expect(engine.plugins.get('norm', 'frobenius').name).toBe('frobenius');
  });

  it('says it needs no calibration data', () => {
    expect(normNeedsCalibration(frobenius())).toBe(false);
  });

  it('collects nothing, adds no hooks and gives the Frobenius metric for any layer', async () => {
    const engine = createEngine({ seed: 1 });
    const fc = new nn.Linear(engine, 4, 3);
    const info = layerInfo('fc', fc);
    const norm = frobenius();
    const collector = norm.collector([{ info, module: fc }]);
    let calls = 0;
    const remove = fc.addForwardHook(() => {
      calls++;
    });
    await calibrate(fc, [collector], [{ inputs: engine.randn([2, 4]) }]);
    remove();
    expect(calls).toBe(1);
    expect(collector.statistics().size).toBe(0);
    expect(norm.metric(info, undefined)).toEqual({ kind: 'frobenius' });
  });
});
