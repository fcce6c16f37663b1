import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  abs,
  cast,
  ceil,
  clamp,
  cos,
  erf,
  exp,
  floor,
  gelu,
  log,
  neg,
  reciprocal,
  relu,
  round,
  rsqrt,
  sigmoid,
  sign,
  sin,
  sqrt,
  square,
  type Tensor,
  tanh,
} from '../src/index.js';
import { arbShape, arbTensorData, expectAllClose, expectShape } from '../src/testing.js';
import { f64, newEngine, RUNS, values } from './util.js';

const engine = newEngine();

/** erf by Simpson's rule on 2/sqrt(pi) e^{-t^2}: independent of the engine's series. */
function erfRef(x: number): number {
  const n = 4000;
  const h = x / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return ((s * h) / 3) * (2 / Math.sqrt(Math.PI));
}

type Unary = (x: Tensor) => Tensor;
/** name, op, reference, input range. */
const UNARY: [string, Unary, (x: number) => number, number, number][] = [
  ['neg', neg, (x) => -x, -3, 3],
  ['abs', abs, Math.abs, -3, 3],
  ['sign', sign, Math.sign, -3, 3],
  ['exp', exp, Math.exp, -3, 3],
  ['log', log, Math.log, 0.01, 5],
  ['sqrt', sqrt, Math.sqrt, 0, 5],
  ['rsqrt', rsqrt, (x) => 1 / Math.sqrt(x), 0.01, 5],
  ['square', square, (x) => x * x, -3, 3],
  ['reciprocal', reciprocal, (x) => 1 / x, 0.1, 3],
  ['sin', sin, Math.sin, -4, 4],
  ['cos', cos, Math.cos, -4, 4],
  ['floor', floor, Math.floor, -3, 3],
  ['ceil', ceil, Math.ceil, -3, 3],
  ['relu', relu, (x) => Math.max(x, 0), -3, 3],
  ['sigmoid', sigmoid, (x) => 1 / (1 + Math.exp(-x)), -6, 6],
  ['tanh', tanh, Math.tanh, -4, 4],
  ['erf', erf, erfRef, -4, 4],
  ['gelu', gelu, (x) => 0.5 * x * (1 + erfRef(x / Math.SQRT2)), -4, 4],
];

const arbInput = (lo: number, hi: number) =>
  arbShape({ maxRank: 3, maxDim: 4 }).chain((s) =>
    fc.tuple(fc.constant(s), arbTensorData(s, { min: lo, max: hi })),
  );

describe('unary ops', () => {
  for (const [name, op, f, lo, hi] of UNARY) {
    it(`${name}: float64 result equals the reference to 1e-10 relative (and keeps shape) on random inputs in [${lo}, ${hi}]`, () => {
      fc.assert(
        fc.property(arbInput(lo, hi), ([s, d]) =>
          engine.tidy(() => {
            const y = op(f64(engine, d, s));
            expectShape(y, s);
            expect(y.dtype).toBe('float64');
            expectAllClose(y.dataSync(), Array.from(d, f), { rtol: 1e-10, atol: 1e-14, label: name });
          }),
        ),
        RUNS,
      );
    });
  }

  it('float32 unary ops agree with the float64 reference to 1e-6 relative', () => {
    fc.assert(
      fc.property(arbInput(0.05, 3), ([s, d]) =>
        engine.tidy(() => {
          const x32 = Float32Array.from(d);
          const x = engine.fromData(Float32Array.from(x32), s);
          for (const [name, op, f] of UNARY) {
            const y = op(x);
            expect(y.dtype).toBe('float32');
            expectAllClose(y.dataSync(), Array.from(x32, f), { rtol: 1e-6, atol: 1e-7, label: name });
          }
        }),
      ),
      { numRuns: 20 },
    );
  });

  it('erf matches tabulated values to 1e-15 and saturates to ±1', () => {
    const x = f64(engine, [0, 0.1, 0.5, 1, 2, 3, -0.3, 7, -7], [9]);
    expectAllClose(
      values(erf(x)),
      [
        0, 0.1124629160182849, 0.5204998778130465, 0.8427007929497149, 0.9953222650189527, 0.9999779095030014,
        -0.3286267594591274, 1, -1,
      ],
      { rtol: 1e-15, atol: 1e-16 },
    );
  });

  it('round halves to even, as PyTorch, NumPy and WGSL do', () => {
    const x = f64(engine, [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, 1.51, -1.51], [9]);
    expect(values(round(x))).toEqual([-2, -2, -0, 0, 2, 2, 0, 2, -2]);
  });

  it('keeps int32 for integer-preserving ops and gives float32 otherwise', () => {
    const i = engine.tensor(new Int32Array([-2, 3]));
    for (const op of [neg, abs, sign, square, floor, ceil, round, relu]) expect(op(i).dtype).toBe('int32');
    expect(values(neg(i))).toEqual([2, -3]);
    for (const op of [exp, sqrt, sigmoid, tanh, gelu, erf]) expect(op(i).dtype).toBe('float32');
  });

  it('propagates NaN and handles infinities like Math', () => {
    const x = f64(engine, [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY], [3]);
    expect(values(exp(x))).toEqual([Number.NaN, Number.POSITIVE_INFINITY, 0]);
    expect(values(sigmoid(x))).toEqual([Number.NaN, 1, 0]);
    expect(values(tanh(x))).toEqual([Number.NaN, 1, -1]);
    expect(values(relu(x))).toEqual([0, Number.POSITIVE_INFINITY, 0]);
  });
});

describe('clamp and cast', () => {
  it('clamp limits values to [low, high] exactly', () => {
    fc.assert(
      fc.property(
        arbInput(-3, 3),
        fc.double({ min: -2, max: 0, noNaN: true }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        ([s, d], lo, hi) =>
          engine.tidy(() => {
            const y = clamp(f64(engine, d, s), lo, hi);
            expectAllClose(
              y.dataSync(),
              Array.from(d, (v) => Math.min(Math.max(v, lo), hi)),
              { rtol: 0, atol: 0 },
            );
          }),
      ),
      RUNS,
    );
  });

  it('cast converts between float32, float64 and int32 (truncating toward zero)', () => {
    const x = f64(engine, [1.7, -1.7, 0.5, 1e10 / 3], [4]);
    expect(cast(x, 'int32').dtype).toBe('int32');
    expect(values(cast(f64(engine, [1.7, -1.7, 0.5, -0.2], [4]), 'int32'))).toEqual([1, -1, 0, 0]);
    const f = cast(x, 'float32');
    expect(f.dtype).toBe('float32');
    expect(values(f)).toEqual(Array.from(Float32Array.from([1.7, -1.7, 0.5, 1e10 / 3])));
    expect(values(cast(engine.tensor(new Int32Array([3, -4])), 'float64'))).toEqual([3, -4]);
    const same = cast(x, 'float64');
    expect(same).not.toBe(x);
    expect(values(same)).toEqual(values(x));
  });
});
