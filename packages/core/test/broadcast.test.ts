import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  add,
  broadcastShapes,
  broadcastTo,
  div,
  equal,
  greater,
  greaterEqual,
  less,
  lessEqual,
  maximum,
  minimum,
  mul,
  notEqual,
  pow,
  sub,
  type Tensor,
  where,
} from '../src/index.js';
import { arbBroadcastPair, arbTensorData, expectAllClose, expectShape } from '../src/testing.js';
import * as ref from './reference.js';
import { f64, newEngine, RUNS } from './util.js';

const engine = newEngine();

type Op = (a: Tensor, b: Tensor) => Tensor;
const OPS: [string, Op, (x: number, y: number) => number][] = [
  ['add', add, (x, y) => x + y],
  ['sub', sub, (x, y) => x - y],
  ['mul', mul, (x, y) => x * y],
  ['div', div, (x, y) => x / y],
  ['pow', pow, (x, y) => x ** y],
  ['maximum', maximum, Math.max],
  ['minimum', minimum, Math.min],
  ['equal', equal, (x, y) => Number(x === y)],
  ['notEqual', notEqual, (x, y) => Number(x !== y)],
  ['less', less, (x, y) => Number(x < y)],
  ['lessEqual', lessEqual, (x, y) => Number(x <= y)],
  ['greater', greater, (x, y) => Number(x > y)],
  ['greaterEqual', greaterEqual, (x, y) => Number(x >= y)],
];

/** Two broadcastable shapes with float64 data: positive (for pow and div) with some exact ties (for comparisons). */
const arbPair = arbBroadcastPair({ maxRank: 4, maxDim: 3 }).chain(([sa, sb]) =>
  fc.tuple(
    fc.constant(sa),
    fc.constant(sb),
    arbTensorData(sa, { min: 0.25, max: 2 }).map(roundSome),
    arbTensorData(sb, { min: 0.25, max: 2 }).map(roundSome),
  ),
);

/** Rounds every other value to a quarter so that equal values occur. */
function roundSome(d: Float64Array | Float32Array): Float64Array {
  return Float64Array.from(d, (v, i) => (i % 2 === 0 ? Math.round(v * 4) / 4 : v));
}

describe('broadcasting binary ops', () => {
  for (const [name, op, f] of OPS) {
    it(`${name}: float64 result equals the broadcast reference to 1e-12 relative on random broadcastable shapes`, () => {
      fc.assert(
        fc.property(arbPair, ([sa, sb, da, db]) =>
          engine.tidy(() => {
            const y = op(f64(engine, da, sa), f64(engine, db, sb));
            const want = ref.binary(da, sa, db, sb, f);
            expectShape(y, want.shape);
            expect(y.dtype).toBe('float64');
            expectAllClose(y.dataSync(), want.data, { rtol: 1e-12, atol: 0, shape: want.shape, label: name });
          }),
        ),
        RUNS,
      );
    });
  }

  it('the output shape is broadcastShapes of the operands, in either order', () => {
    fc.assert(
      fc.property(arbBroadcastPair({ maxRank: 5, maxDim: 4 }), ([sa, sb]) => {
        const want = ref.broadcastShape(sa, sb);
        expect(broadcastShapes(sa, sb)).toEqual(want);
        expect(broadcastShapes(sb, sa)).toEqual(want);
        engine.tidy(() => {
          expectShape(add(engine.zeros(sa), engine.zeros(sb)), want);
          expectShape(add(engine.zeros(sb), engine.zeros(sa)), want);
        });
      }),
      RUNS,
    );
  });

  it('float32 binary ops agree with the float64 reference to 1e-6 relative', () => {
    fc.assert(
      fc.property(arbPair, ([sa, sb, da, db]) =>
        engine.tidy(() => {
          const a = engine.fromData(Float32Array.from(da), sa);
          const b = engine.fromData(Float32Array.from(db), sb);
          for (const [name, op, f] of OPS.slice(0, 5)) {
            const y = op(a, b);
            expect(y.dtype).toBe('float32');
            const want = ref.binary(Float32Array.from(da), sa, Float32Array.from(db), sb, f);
            expectAllClose(y.dataSync(), want.data, { rtol: 1e-6, atol: 1e-7, label: name });
          }
        }),
      ),
      RUNS,
    );
  });

  it('rejects shapes that do not broadcast, naming both shapes and the axis', () => {
    const a = engine.zeros([2, 3]);
    const b = engine.zeros([4, 3]);
    expect(() => add(a, b)).toThrow(
      'add: shapes [2, 3] and [4, 3] cannot be broadcast together (axis -2: 2 vs 4)',
    );
    expect(() => where(engine.zeros([3]), a, engine.zeros([2]))).toThrow(/where: shapes/);
    expect(() => broadcastTo(a, [3])).toThrow('broadcastTo: cannot broadcast [2, 3] to [3]');
    expect(() => broadcastTo(a, [2, 2, 4])).toThrow(/cannot broadcast \[2, 3\] to \[2, 2, 4\]/);
  });
});

describe('dtype promotion', () => {
  it('float64 wins over float32, which wins over int32; int32 division gives float32', () => {
    const i = engine.tensor(new Int32Array([7, -3]));
    const s = engine.tensor([2, 2]);
    const d = engine.tensor(new Float64Array([2, 2]));
    expect(add(i, i).dtype).toBe('int32');
    expect(Array.from(mul(i, i).dataSync())).toEqual([49, 9]);
    expect(add(i, s).dtype).toBe('float32');
    expect(add(s, d).dtype).toBe('float64');
    expect(add(i, d).dtype).toBe('float64');
    const q = div(i, engine.tensor(new Int32Array([2, 2])));
    expect(q.dtype).toBe('float32');
    expect(Array.from(q.dataSync())).toEqual([3.5, -1.5]);
    expect(less(i, i).dtype).toBe('int32');
  });

  it("numbers become scalars of the tensor operand's dtype, on either side", () => {
    const d = engine.tensor(new Float64Array([1, 2]));
    expect(add(d, 0.1).dtype).toBe('float64');
    expect(Array.from(sub(1, d).dataSync())).toEqual([0, -1]);
    expect(Array.from(add(d, 0.1).dataSync())).toEqual([1.1, 2.1]);
    expect(Array.from(div(1, d).dataSync())).toEqual([1, 0.5]);
    expect(() => add(1 as unknown as Tensor, 2)).toThrow('add: at least one operand must be a tensor');
  });
});

describe('where and broadcastTo', () => {
  it('where picks a where cond != 0 and broadcasts all three operands (float64, exact)', () => {
    const arb = ref_arbTriple();
    fc.assert(
      fc.property(arb, ([sc, sa, sb, dc, da, db]) =>
        engine.tidy(() => {
          const y = where(f64(engine, dc, sc), f64(engine, da, sa), f64(engine, db, sb));
          const out = ref.broadcastShape(ref.broadcastShape(sc, sa), sb);
          const want = [...ref.indices(out)].map((idx) =>
            ref.at(dc, sc, idx) !== 0 ? ref.at(da, sa, idx) : ref.at(db, sb, idx),
          );
          expectShape(y, out);
          expectAllClose(y.dataSync(), want, { rtol: 0, atol: 0 });
        }),
      ),
      RUNS,
    );
  });

  it('where gives the promoted dtype of its branches (no truncation of a float branch)', () => {
    const c = engine.tensor([1, 0]);
    const y = where(c, engine.tensor(new Int32Array([1, 2])), engine.tensor([0.5, 0.25]));
    expect(y.dtype).toBe('float32');
    expect(Array.from(y.dataSync())).toEqual([1, 0.25]);
    expect(where(c, engine.tensor([1, 2]), engine.tensor(new Float64Array([3, 4]))).dtype).toBe('float64');
    expect(where(c, engine.tensor(new Int32Array([1, 2])), engine.tensor(new Int32Array([3, 4]))).dtype).toBe(
      'int32',
    );
  });

  it('where takes numbers for either branch', () => {
    const c = engine.tensor([1, 0, 2]);
    expect(Array.from(where(c, 5, engine.tensor([7, 8, 9])).dataSync())).toEqual([5, 8, 5]);
    expect(Array.from(where(c, engine.tensor([7, 8, 9]), -1).dataSync())).toEqual([7, -1, 9]);
    expect(Array.from(where(c, 1, 0).dataSync())).toEqual([1, 0, 1]);
  });

  it('broadcastTo materialises NumPy broadcasting exactly', () => {
    fc.assert(
      fc.property(
        arbBroadcastPair({ maxRank: 4, maxDim: 3 }).chain(([s]) =>
          fc.tuple(fc.constant(s), arbTensorData(s)),
        ),
        fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
        ([s, d], extra) =>
          engine.tidy(() => {
            // the target: `extra` leading axes, then each size-1 axis of s may grow
            const target = [...extra, ...s.map((v, i) => (v === 1 ? 1 + (i % 3) : v))];
            const y = broadcastTo(f64(engine, d, s), target);
            const want = [...ref.indices(target)].map((idx) => ref.at(d, s, idx));
            expectShape(y, target);
            expectAllClose(y.dataSync(), want, { rtol: 0, atol: 0 });
          }),
      ),
      RUNS,
    );
  });
});

function ref_arbTriple() {
  return arbBroadcastPair({ maxRank: 3, maxDim: 3 }).chain(([sa, sb]) => {
    const out = ref.broadcastShape(sa, sb);
    const sc = out.map((d, i) => (i % 2 === 0 ? d : 1)).slice(out.length > 1 ? 1 : 0);
    return fc.tuple(
      fc.constant(sc),
      fc.constant(sa),
      fc.constant(sb),
      arbTensorData(sc).map((v) => Float64Array.from(v, (x) => (x > 0 ? 1 : 0))),
      arbTensorData(sa),
      arbTensorData(sb),
    );
  });
}
