import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  argmax,
  argmin,
  logSumExp,
  max,
  mean,
  min,
  norm,
  prod,
  std,
  sum,
  type Tensor,
  variance,
} from '../src/index.js';
import { arbShape, arbTensorData, expectAllClose, expectShape } from '../src/testing.js';
import * as ref from './reference.js';
import { f64, newEngine, RUNS, values } from './util.js';

const engine = newEngine();

/** A shape, its data, a subset of its axes (possibly written negative) and keepDims. */
const arbReduction = arbShape({ minRank: 1, maxRank: 4, maxDim: 4 }).chain((s) =>
  fc.tuple(
    fc.constant(s),
    arbTensorData(s, { min: 0.5, max: 1.5 }),
    fc
      .subarray([...s.keys()])
      .chain((axes) => fc.constant(axes).map((a) => a.map((x, i) => (i % 2 ? x - s.length : x)))),
    fc.boolean(),
  ),
);

const norm0 = (axes: number[], rank: number) => axes.map((a) => (a < 0 ? a + rank : a));

type Red = (x: Tensor, axes: number[] | undefined, keep: boolean) => Tensor;
const REDUCTIONS: [
  string,
  Red,
  number,
  (a: number, v: number) => number,
  (v: number, n: number) => number,
][] = [
  ['sum', (x, a, k) => sum(x, a, k), 0, (a, v) => a + v, (v) => v],
  ['prod', (x, a, k) => prod(x, a, k), 1, (a, v) => a * v, (v) => v],
  ['max', (x, a, k) => max(x, a, k), Number.NEGATIVE_INFINITY, Math.max, (v) => v],
  ['min', (x, a, k) => min(x, a, k), Number.POSITIVE_INFINITY, Math.min, (v) => v],
  ['mean', (x, a, k) => mean(x, a, k), 0, (a, v) => a + v, (v, n) => v / n],
];

describe('reductions', () => {
  for (const [name, op, init, f, finish] of REDUCTIONS) {
    it(`${name}: float64 result equals the reference to 1e-12 relative over random axes (negative too), with and without keepDims`, () => {
      fc.assert(
        fc.property(arbReduction, ([s, d, axes, keep]) =>
          engine.tidy(() => {
            const ax = norm0(axes, s.length);
            // an empty axis list reduces nothing: pass undefined (all axes) half the time instead
            const all = axes.length === 0;
            const y = op(f64(engine, d, s), all ? undefined : axes, keep);
            const used = all ? [...s.keys()] : ax;
            const r = ref.reduce(d, s, used, init, f, keep);
            const n = used.reduce((p, a) => p * s[a], 1);
            expectShape(y, r.shape);
            expectAllClose(
              y.dataSync(),
              Array.from(r.data, (v) => finish(v, n)),
              { rtol: 1e-12, atol: 0, label: name },
            );
          }),
        ),
        RUNS,
      );
    });
  }

  it('variance and std equal the two-pass reference to 1e-10 relative for corrections 0 and 1', () => {
    fc.assert(
      fc.property(arbReduction, fc.constantFrom(0, 1), ([s, d, axes, keep], correction) => {
        const ax = axes.length === 0 ? [...s.keys()] : norm0(axes, s.length);
        const n = ax.reduce((p, a) => p * s[a], 1);
        fc.pre(n > correction);
        engine.tidy(() => {
          const x = f64(engine, d, s);
          const m = ref.reduce(d, s, ax, 0, (a, v) => a + v, true);
          const sq = [...ref.indices(s)].map(
            (idx) => (d[ref.flat(idx, s)] - ref.at(m.data, m.shape, idx) / n) ** 2,
          );
          const want = ref.reduce(sq, s, ax, 0, (a, v) => a + v, keep);
          const v = Array.from(want.data, (t) => t / (n - correction));
          const y = variance(x, axes.length ? axes : undefined, { keepDims: keep, correction });
          expectShape(y, want.shape);
          expectAllClose(y.dataSync(), v, { rtol: 1e-10, atol: 1e-15 });
          expectAllClose(
            std(x, axes.length ? axes : undefined, { keepDims: keep, correction }).dataSync(),
            v.map(Math.sqrt),
            {
              rtol: 1e-10,
              atol: 1e-15,
            },
          );
        });
      }),
      RUNS,
    );
  });

  it('variance defaults to the unbiased estimate (PyTorch)', () => {
    const x = f64(engine, [1, 2, 3, 4], [4]);
    expect(variance(x).itemSync()).toBeCloseTo(5 / 3, 14);
    expect(variance(x, 0, { correction: 0 }).itemSync()).toBeCloseTo(1.25, 14);
  });

  it('norm: p = 1, 2 and Infinity equal the reference to 1e-12 relative', () => {
    fc.assert(
      fc.property(arbReduction, ([s, d0, axes, keep]) =>
        engine.tidy(() => {
          const d = Float64Array.from(d0, (v, i) => (i % 3 === 0 ? -v : v));
          const ax = axes.length === 0 ? [...s.keys()] : norm0(axes, s.length);
          const x = f64(engine, d, s);
          const a = axes.length ? axes : undefined;
          const l1 = ref.reduce(d, s, ax, 0, (acc, v) => acc + Math.abs(v), keep);
          const l2 = ref.reduce(d, s, ax, 0, (acc, v) => acc + v * v, keep);
          const li = ref.reduce(d, s, ax, 0, (acc, v) => Math.max(acc, Math.abs(v)), keep);
          expectAllClose(norm(x, 1, a, keep).dataSync(), l1.data, { rtol: 1e-12, atol: 0 });
          expectAllClose(norm(x, 2, a, keep).dataSync(), Array.from(l2.data, Math.sqrt), {
            rtol: 1e-12,
            atol: 0,
          });
          expectAllClose(norm(x, Number.POSITIVE_INFINITY, a, keep).dataSync(), li.data, {
            rtol: 0,
            atol: 0,
          });
          expectShape(norm(x, 2, a, keep), l2.shape);
        }),
      ),
      RUNS,
    );
    expect(() => norm(engine.ones([2]), 3)).toThrow('norm: p must be 1, 2 or Infinity, got 3');
  });

  it('logSumExp equals log(sum(exp)) to 1e-12 relative, and stays finite for large inputs', () => {
    fc.assert(
      fc.property(
        arbReduction,
        fc.double({ min: -500, max: 800, noNaN: true }),
        ([s, d, axes, keep], shift) =>
          engine.tidy(() => {
            const ax = axes.length === 0 ? [...s.keys()] : norm0(axes, s.length);
            const r = ref.reduce(d, s, ax, 0, (acc, v) => acc + Math.exp(v), keep);
            const y = logSumExp(
              f64(
                engine,
                Float64Array.from(d, (v) => v + shift),
                s,
              ),
              axes.length ? axes : undefined,
              keep,
            );
            expectShape(y, r.shape);
            expectAllClose(
              y.dataSync(),
              Array.from(r.data, (v) => Math.log(v) + shift),
              { rtol: 1e-12, atol: 1e-12 },
            );
          }),
      ),
      RUNS,
    );
  });

  it('argmax and argmin give int32 indices of the first extreme along an axis', () => {
    fc.assert(
      fc.property(arbReduction, fc.nat(), ([s, d0], k) =>
        engine.tidy(() => {
          const axis = k % s.length;
          const d = Float64Array.from(d0, (v) => Math.round(v * 4)); // ties
          const x = f64(engine, d, s);
          for (const [op, better] of [
            [argmax, (a: number, b: number) => a > b],
            [argmin, (a: number, b: number) => a < b],
          ] as const) {
            const y = op(x, axis - (k % 2) * s.length);
            expect(y.dtype).toBe('int32');
            const outShape = s.filter((_, i) => i !== axis);
            expectShape(y, outShape);
            const want = [...ref.indices(outShape)].map((o) => {
              let best = 0;
              for (let i = 1; i < s[axis]; i++) {
                const at = (j: number) => d[ref.flat([...o.slice(0, axis), j, ...o.slice(axis)], s)];
                if (better(at(i), at(best))) best = i;
              }
              return best;
            });
            expect(values(y)).toEqual(want);
          }
        }),
      ),
      RUNS,
    );
  });

  it('reducing a rank-0 tensor or over no elements behaves like NumPy; out-of-range axes are errors', () => {
    const s = engine.scalar(3, 'float64');
    expect(sum(s).itemSync()).toBe(3);
    expect(sum(engine.zeros([2, 0]), 1).dataSync()).toEqual(new Float32Array([0, 0]));
    expect(prod(engine.zeros([0])).itemSync()).toBe(1);
    expect(() => max(engine.zeros([2, 0]), 1)).toThrow('max: cannot reduce over an empty axis');
    expect(() => sum(engine.zeros([2, 3]), 2)).toThrow('sum: axis 2 is out of range for a tensor of rank 2');
    expect(() => argmax(engine.zeros([2, 3]), -3)).toThrow(/out of range/);
    expect(sum(engine.ones([2, 3]), [1, -1, 1]).shape).toEqual([2]);
  });
});
