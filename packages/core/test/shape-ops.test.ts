import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  concat,
  expandDims,
  flatten,
  gather,
  oneHot,
  pad,
  reshape,
  type SliceSpec,
  slice,
  split,
  squeeze,
  stack,
  swapAxes,
  transpose,
} from '../src/index.js';
import { arbShape, arbTensorData, expectAllClose, expectShape } from '../src/testing.js';
import * as ref from './reference.js';
import { f64, newEngine, RUNS, values } from './util.js';

const engine = newEngine();

const arbTensor = (o: { minRank?: number; maxRank?: number; maxDim?: number; minDim?: number } = {}) =>
  arbShape({ maxRank: 4, maxDim: 4, ...o }).chain((s) => fc.tuple(fc.constant(s), arbTensorData(s)));

const exact = { rtol: 0, atol: 0 };

describe('reshape, flatten, squeeze, expandDims', () => {
  it('reshape keeps the row-major data; one -1 is inferred', () => {
    fc.assert(
      fc.property(arbTensor({ minRank: 1 }), fc.nat(), ([s, d], k) =>
        engine.tidy(() => {
          const n = ref.size(s);
          const target = n % 2 === 0 ? [2, -1, 1] : [1, -1];
          const y = reshape(f64(engine, d, s), k % 2 ? target : [n]);
          expect(y.size).toBe(n);
          expect(y.shape.includes(-1)).toBe(false);
          expectAllClose(y.dataSync(), d, exact);
        }),
      ),
      RUNS,
    );
    const x = engine.zeros([2, 6]);
    expect(reshape(x, [3, -1]).shape).toEqual([3, 4]);
    expect(reshape(x, [-1]).shape).toEqual([12]);
    expect(() => reshape(x, [-1, -1])).toThrow('reshape: only one dimension may be -1, got [-1, -1]');
    expect(() => reshape(x, [5, -1])).toThrow('reshape: cannot reshape [2, 6] into [5, -1]');
    expect(() => reshape(x, [5])).toThrow('reshape: cannot reshape [2, 6] into [5]');
    expect(() => reshape(engine.zeros([0, 3]), [0, -1])).toThrow(/cannot reshape/);
  });

  it('flatten, squeeze and expandDims change only the shape', () => {
    const x = engine.zeros([2, 1, 3, 1]);
    expect(flatten(x).shape).toEqual([6]);
    expect(flatten(x, 1).shape).toEqual([2, 3]);
    expect(flatten(x, 1, 2).shape).toEqual([2, 3, 1]);
    expect(flatten(engine.scalar(1)).shape).toEqual([1]);
    expect(() => flatten(x, 2, 1)).toThrow(/endAxis 1 is before startAxis 2/);
    expect(squeeze(x).shape).toEqual([2, 3]);
    expect(squeeze(x, -1).shape).toEqual([2, 1, 3]);
    expect(squeeze(x, [1, 3]).shape).toEqual([2, 3]);
    expect(() => squeeze(x, 0)).toThrow('squeeze: axis 0 of [2, 1, 3, 1] has size 2, not 1');
    expect(expandDims(x, 0).shape).toEqual([1, 2, 1, 3, 1]);
    expect(expandDims(x, 4).shape).toEqual([2, 1, 3, 1, 1]);
    expect(expandDims(x, -1).shape).toEqual([2, 1, 3, 1, 1]);
    expect(expandDims(x, -5).shape).toEqual([1, 2, 1, 3, 1]);
    expect(() => expandDims(x, 5)).toThrow(/out of range/);
  });
});

describe('transpose', () => {
  it('transpose by a random permutation equals the reference exactly; the default reverses the axes', () => {
    fc.assert(
      fc.property(
        arbTensor().chain(([s, d]) =>
          fc.tuple(
            fc.constant(s),
            fc.constant(d),
            fc.shuffledSubarray([...s.keys()], { minLength: s.length }),
          ),
        ),
        ([s, d, perm]) =>
          engine.tidy(() => {
            const x = f64(engine, d, s);
            const y = transpose(x, perm);
            const want = ref.transpose(d, s, perm);
            expectShape(y, want.shape);
            expectAllClose(y.dataSync(), want.data, exact);
            const rev = ref.transpose(d, s, [...s.keys()].reverse());
            expectAllClose(transpose(x).dataSync(), rev.data, exact);
            // negative axes name the same permutation
            expectAllClose(
              transpose(
                x,
                perm.map((p) => p - s.length),
              ).dataSync(),
              want.data,
              exact,
            );
          }),
      ),
      RUNS,
    );
    const x = engine.zeros([2, 3, 4]);
    expect(swapAxes(x, 0, -1).shape).toEqual([4, 3, 2]);
    expect(() => transpose(x, [0, 1])).toThrow('transpose: [0, 1] is not a permutation of the 3 axes');
    expect(() => transpose(x, [0, 1, 1])).toThrow(/not a permutation/);
  });
});

describe('slice', () => {
  const arbSpec = (dim: number): fc.Arbitrary<SliceSpec> =>
    fc.oneof(
      fc.constant(null),
      fc.integer({ min: -dim, max: dim - 1 }),
      fc.tuple(
        fc.option(fc.integer({ min: -dim - 2, max: dim + 2 })),
        fc.option(fc.integer({ min: -dim - 2, max: dim + 2 })),
        fc.option(fc.integer({ min: -3, max: 3 }).filter((v) => v !== 0)),
      ),
    );

  it('slice matches Python slicing (negative indices and steps, clamping, integer indices drop the axis) exactly', () => {
    fc.assert(
      fc.property(
        arbTensor({ minRank: 1 }).chain(([s, d]) =>
          fc.tuple(
            fc.constant(s),
            fc.constant(d),
            fc
              .tuple(...s.map((dim) => arbSpec(dim)))
              .chain((specs) => fc.integer({ min: 0, max: specs.length }).map((n) => specs.slice(0, n))),
          ),
        ),
        ([s, d, specs]) =>
          engine.tidy(() => {
            const y = slice(f64(engine, d, s), specs);
            // selected indices per axis; an integer spec keeps one index and drops the axis
            const picks = s.map((dim, axis) => {
              const sp = specs[axis] ?? null;
              if (typeof sp === 'number') return [sp < 0 ? sp + dim : sp];
              const [a = null, b = null, c = null] = sp ?? [];
              return ref.pySlice(dim, a, b, c ?? 1);
            });
            const kept = s.flatMap((_, axis) =>
              typeof specs[axis] === 'number' ? [] : [picks[axis].length],
            );
            const want = [...ref.indices(picks.map((p) => p.length))].map(
              (idx) =>
                d[
                  ref.flat(
                    idx.map((v, a) => picks[a][v]),
                    s,
                  )
                ],
            );
            expectShape(y, kept);
            expectAllClose(y.dataSync(), want, exact);
          }),
      ),
      { numRuns: 50 },
    );
  });

  it('slice errors name the bad index or step', () => {
    const x = engine.zeros([3, 4]);
    expect(() => slice(x, [3])).toThrow('slice: index 3 is out of range for axis 0 of size 3');
    expect(() => slice(x, [-4])).toThrow(/index -4 is out of range/);
    expect(() => slice(x, [null, [0, 4, 0]])).toThrow('slice: step must be a non-zero integer, got 0');
    expect(() => slice(x, [null, null, null])).toThrow('slice: 3 specs for a tensor of rank 2');
    expect(slice(x, [[2, 0, 1]]).shape).toEqual([0, 4]);
  });
});

describe('concat, stack, split', () => {
  const arbParts = arbShape({ minRank: 1, maxRank: 3, maxDim: 3 }).chain((s) =>
    fc.tuple(
      fc.constant(s),
      fc.nat({ max: s.length - 1 }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
    ),
  );

  it('concat of random parts along a random axis, then split by the same sizes, round-trips exactly', () => {
    fc.assert(
      fc.property(arbParts, fc.integer(), ([s, axis, sizes], seed) =>
        engine.tidy(() => {
          const parts = sizes.map((n, i) => {
            const sh = s.map((d, a) => (a === axis ? n : d));
            return engine.rand(sh, { dtype: 'float64', seed: seed + i });
          });
          const y = concat(parts, axis - (seed % 2 ? s.length : 0));
          const total = sizes.reduce((a, b) => a + b, 0);
          expectShape(
            y,
            s.map((d, a) => (a === axis ? total : d)),
          );
          // every output element comes from the part that owns its position on the axis
          const data = y.dataSync();
          let k = 0;
          for (const idx of ref.indices(y.shape)) {
            let pos = idx[axis];
            let p = 0;
            while (pos >= sizes[p]) pos -= sizes[p++];
            const src =
              parts[p].dataSync()[
                ref.flat(
                  idx.map((v, a) => (a === axis ? pos : v)),
                  parts[p].shape,
                )
              ];
            expect(data[k++]).toBe(src);
          }
          const back = split(y, sizes, axis);
          back.forEach((b, i) => {
            expectAllClose(b.dataSync(), parts[i].dataSync(), exact);
          });
        }),
      ),
      RUNS,
    );
  });

  it('stack inserts a new axis (negative too) and equals concat of expanded parts', () => {
    const a = f64(engine, [1, 2, 3, 4, 5, 6], [2, 3]);
    const b = f64(engine, [7, 8, 9, 10, 11, 12], [2, 3]);
    expect(stack([a, b]).shape).toEqual([2, 2, 3]);
    expect(values(stack([a, b]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(stack([a, b], 1).shape).toEqual([2, 2, 3]);
    expect(values(stack([a, b], 1))).toEqual([1, 2, 3, 7, 8, 9, 4, 5, 6, 10, 11, 12]);
    expect(stack([a, b], -1).shape).toEqual([2, 3, 2]);
    expect(values(stack([a, b], -1))).toEqual([1, 7, 2, 8, 3, 9, 4, 10, 5, 11, 6, 12]);
  });

  it('split into equal parts; errors for bad sizes and mismatched concat shapes', () => {
    const x = f64(engine, [0, 1, 2, 3, 4, 5], [2, 3]);
    const [p, q, r] = split(x, 3, 1);
    expect(values(p)).toEqual([0, 3]);
    expect(values(q)).toEqual([1, 4]);
    expect(values(r)).toEqual([2, 5]);
    expect(() => split(x, 2, 1)).toThrow('split: axis 1 of size 3 is not divisible into 2 parts');
    expect(() => split(x, [1, 1], 1)).toThrow('split: sizes [1, 1] do not add up to 3');
    expect(() => concat([x, engine.zeros([3, 3], 'float64')], 1)).toThrow(
      'concat: shapes [2, 3], [3, 3] differ outside axis 1',
    );
    expect(() => concat([])).toThrow(/needs at least one tensor/);
    expect(() => stack([])).toThrow(/needs at least one tensor/);
  });
});

describe('gather, pad, oneHot', () => {
  it('gather along a random axis with random int32 indices (any shape, repeats) equals the reference exactly', () => {
    fc.assert(
      fc.property(
        arbTensor({ minRank: 1, maxRank: 3 }).chain(([s, d]) =>
          fc.nat({ max: s.length - 1 }).chain((axis) =>
            fc.tuple(
              fc.constant(s),
              fc.constant(d),
              fc.constant(axis),
              arbShape({ maxRank: 2, maxDim: 3 }).chain((is) =>
                fc.tuple(
                  fc.constant(is),
                  fc.array(fc.nat({ max: s[axis] - 1 }), {
                    minLength: ref.size(is),
                    maxLength: ref.size(is),
                  }),
                ),
              ),
            ),
          ),
        ),
        ([s, d, axis, [is, idx]]) =>
          engine.tidy(() => {
            const y = gather(f64(engine, d, s), engine.fromData(Int32Array.from(idx), is), axis);
            const outShape = [...s.slice(0, axis), ...is, ...s.slice(axis + 1)];
            expectShape(y, outShape);
            const want = [...ref.indices(outShape)].map((o) => {
              const k = idx[ref.flat(o.slice(axis, axis + is.length), is)];
              return d[ref.flat([...o.slice(0, axis), k, ...o.slice(axis + is.length)], s)];
            });
            expectAllClose(y.dataSync(), want, exact);
          }),
      ),
      RUNS,
    );
    const x = engine.zeros([2, 3]);
    expect(() => gather(x, engine.tensor([0]), 0)).toThrow('gather: indices must be int32, got float32');
    expect(() => gather(x, engine.tensor(new Int32Array([3])), 1)).toThrow(
      'gather: index 3 is out of range for axis 1 of [2, 3]',
    );
    expect(() => gather(x, engine.tensor(new Int32Array([-1])), 1)).toThrow(/index -1 is out of range/);
  });

  it('pad with random before/after amounts and value equals the reference exactly', () => {
    fc.assert(
      fc.property(
        arbTensor({ maxRank: 3 }).chain(([s, d]) =>
          fc.tuple(
            fc.constant(s),
            fc.constant(d),
            fc.array(fc.tuple(fc.nat({ max: 2 }), fc.nat({ max: 2 })), { minLength: 0, maxLength: s.length }),
            fc.double({ min: -5, max: 5, noNaN: true }),
          ),
        ),
        ([s, d, pads, value]) =>
          engine.tidy(() => {
            const y = pad(f64(engine, d, s), pads, value);
            const full = s.map((_, i) => pads[i] ?? [0, 0]);
            const outShape = s.map((v, i) => v + full[i][0] + full[i][1]);
            expectShape(y, outShape);
            const want = [...ref.indices(outShape)].map((o) => {
              const src = o.map((v, i) => v - full[i][0]);
              return src.every((v, i) => v >= 0 && v < s[i]) ? d[ref.flat(src, s)] : value;
            });
            expectAllClose(y.dataSync(), want, exact);
          }),
      ),
      RUNS,
    );
    expect(() => pad(engine.zeros([2]), [[-1, 0]])).toThrow(
      'pad: paddings must be non-negative integers, got [-1, 0] on axis 0',
    );
    expect(() =>
      pad(engine.zeros([2]), [
        [0, 0],
        [1, 1],
      ]),
    ).toThrow('pad: 2 paddings for a tensor of rank 1');
  });

  it('oneHot gives rows of the requested depth and dtype', () => {
    const y = oneHot(engine.tensor(new Int32Array([2, 0, 1, 2]), [2, 2]), 3, 'float64');
    expect(y.shape).toEqual([2, 2, 3]);
    expect(y.dtype).toBe('float64');
    expect(values(y)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(oneHot(engine.tensor(new Int32Array([1])), 2).dtype).toBe('float32');
    expect(() => oneHot(engine.tensor([1]), 2)).toThrow('oneHot: indices must be int32, got float32');
  });
});
