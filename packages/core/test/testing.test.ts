import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { broadcastShapes } from '../src/index.js';
import {
  arbBroadcastPair,
  arbShape,
  arbTensor,
  arbTensorData,
  expectAllClose,
  expectSameShape,
  expectShape,
  expectTensorClose,
  unravelIndex,
} from '../src/testing.js';
import { newEngine } from './util.js';

describe('@lowrank/core/testing helpers', () => {
  it('expectAllClose passes within atol + rtol |expected|, matches NaN with NaN and equal infinities', () => {
    expect(() =>
      expectAllClose(
        [1, 2.000001, Number.NaN, Number.POSITIVE_INFINITY],
        [1, 2, Number.NaN, Number.POSITIVE_INFINITY],
        { rtol: 1e-6 },
      ),
    ).not.toThrow();
    expect(() => expectAllClose([1.1], [1], { rtol: 0, atol: 0.2 })).not.toThrow();
    expect(() => expectAllClose([Number.NaN], [1])).toThrow(/1 of 1 values differ/);
    expect(() => expectAllClose([Number.NEGATIVE_INFINITY], [Number.POSITIVE_INFINITY])).toThrow(/differ/);
  });

  it('expectAllClose reports the count, the worst and the first mismatches with multi-indices', () => {
    let message = '';
    try {
      expectAllClose([0, 1, 2, 3, 4, 5], [0, 1.5, 2, 3, 4, 9], {
        rtol: 0,
        atol: 0.1,
        shape: [2, 3],
        label: 'conv',
      });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('conv: 2 of 6 values differ (rtol 0, atol 0.1)');
    expect(message).toContain('worst [1, 2]: actual 5, expected 9 (|diff| 4)');
    expect(message).toContain('[0, 1]: actual 1, expected 1.5 (|diff| 0.5)');
    expect(() => expectAllClose([1, 2], [1])).toThrow('expectAllClose: 2 values, expected 1');
    let many = '';
    try {
      expectAllClose(new Array(20).fill(1), new Array(20).fill(0), { maxReported: 3 });
    } catch (e) {
      many = (e as Error).message;
    }
    expect(many).toContain('... and 17 more');
  });

  it('shape checks name both shapes', () => {
    const engine = newEngine();
    const t = engine.zeros([2, 3]);
    expect(() => expectShape(t, [2, 3])).not.toThrow();
    expect(() => expectShape(t, [3, 2])).toThrow('expectShape: shape [2, 3], expected [3, 2]');
    expect(() => expectSameShape(t, engine.zeros([2]), 'grad')).toThrow('grad: shape [2, 3], expected [2]');
    expect(() => expectTensorClose(t, [0, 0, 0, 0, 0, 0], { shape: [2, 3] })).not.toThrow();
    expect(() => expectTensorClose(t, [0, 0, 0, 0, 0, 1])).toThrow(/worst \[1, 2\]/);
    expect(unravelIndex(5, [2, 3])).toEqual([1, 2]);
    expect(unravelIndex(7)).toEqual([7]);
  });

  it('arbShape respects its rank and dimension bounds', () => {
    fc.assert(
      fc.property(arbShape({ minRank: 1, maxRank: 3, minDim: 2, maxDim: 5 }), (s) => {
        expect(s.length).toBeGreaterThanOrEqual(1);
        expect(s.length).toBeLessThanOrEqual(3);
        expect(s.every((d) => Number.isInteger(d) && d >= 2 && d <= 5)).toBe(true);
      }),
    );
  });

  it('arbBroadcastPair always gives shapes that broadcast', () => {
    fc.assert(
      fc.property(arbBroadcastPair({ maxRank: 5 }), ([a, b]) => {
        expect(() => broadcastShapes(a, b)).not.toThrow();
      }),
    );
  });

  it('arbTensorData and arbTensor fill the shape within [min, max] and away from 0 by minAbs', () => {
    fc.assert(
      fc.property(arbTensor({ maxRank: 3, min: -2, max: 3, minAbs: 0.5 }), ({ shape, data }) => {
        expect(data.length).toBe(shape.reduce((p, d) => p * d, 1));
        expect(data).toBeInstanceOf(Float64Array);
        for (const v of data) {
          expect(v).toBeGreaterThanOrEqual(-2);
          expect(v).toBeLessThanOrEqual(3);
          expect(Math.abs(v)).toBeGreaterThanOrEqual(0.5);
        }
      }),
    );
    fc.assert(
      fc.property(arbTensorData(4, { dtype: 'float32' }), (d) => {
        expect(d).toBeInstanceOf(Float32Array);
      }),
    );
  });
});
