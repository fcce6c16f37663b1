import { add, REDUCE_OPS, type ReduceOp } from '@lowrank/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ints, parity, randn, useEngines } from './helpers.js';

const engines = useEngines();

/** A shape and a sorted, non-empty subset of its axes. */
const shapeAndAxes = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }).chain((s) =>
  fc.tuple(
    fc.constant(s),
    fc.subarray(
      s.map((_, i) => i),
      { minLength: 1 },
    ),
  ),
);
const seed = fc.integer({ min: 0, max: 1e6 });
const runs = { numRuns: 10 };

describe('reduce', () => {
  for (const op of REDUCE_OPS) {
    it(`${op} over random axes, float32 and int32`, async () => {
      await fc.assert(
        fc.asyncProperty(shapeAndAxes, seed, async ([s, axes], sd) => {
          // prod of values near 1 stays finite
          const x = (e: typeof engines.cpu) =>
            op === 'prod' ? add(randn(e, s, sd, 0.1), 1) : randn(e, s, sd);
          await parity(engines, (e) => e.runKernel('reduce', [x(e)], { op, axes })[0], {}, op);
          const lo = op === 'prod' ? -2 : -50;
          await parity(
            engines,
            (e) => e.runKernel('reduce', [ints(e, s, sd, lo, -lo)], { op, axes })[0],
            {},
            `${op} int32`,
          );
        }),
        runs,
      );
    });
  }

  const long = (op: ReduceOp, shape: number[], axes: number[]) => async () => {
    const scale = op === 'prod' ? 0.01 : 1;
    await parity(
      engines,
      (e) => e.runKernel('reduce', [add(randn(e, shape, 7, scale), op === 'prod' ? 1 : 0)], { op, axes })[0],
      {
        rtol: 1e-4,
        atol: 1e-3,
      },
    );
  };
  for (const op of REDUCE_OPS) {
    it(`${op}: long segments (a workgroup per output), strided`, long(op, [5, 300, 3], [1]));
    it(`${op}: very long segments (chunks, then a second pass)`, long(op, [2, 20_000], [1]));
  }

  it('max and min propagate NaN; empty segments give 0 (sum) and 1 (prod)', async () => {
    const withNan = [1, Number.NaN, 3, 4, 5, 6, 7, Number.NaN, 2];
    for (const op of ['max', 'min'] as const) {
      await parity(engines, (e) => e.runKernel('reduce', [e.tensor(withNan, [3, 3])], { op, axes: [1] })[0]);
      await parity(
        engines,
        (e) =>
          e.runKernel(
            'reduce',
            [e.tensor(Array.from({ length: 500 }, (_, i) => (i === 321 ? Number.NaN : i)))],
            { op, axes: [0] },
          )[0],
      );
    }
    for (const op of ['sum', 'prod'] as const) {
      await parity(engines, (e) => e.runKernel('reduce', [e.zeros([3, 0])], { op, axes: [1] })[0]);
    }
    expect(() =>
      engines.gpu.runKernel('reduce', [engines.gpu.zeros([3, 0])], { op: 'max', axes: [1] }),
    ).toThrow(/empty axis/);
  });
});

describe('argReduce', () => {
  for (const op of ['argmax', 'argmin'] as const) {
    it(`${op}: first of ties, any axis, short and long`, async () => {
      await fc.assert(
        fc.asyncProperty(shapeAndAxes, seed, async ([s, axes], sd) => {
          const axis = axes[0];
          await parity(
            engines,
            (e) => e.runKernel('argReduce', [ints(e, s, sd, -3, 3, 'float32')], { op, axis })[0],
          );
          await parity(engines, (e) => e.runKernel('argReduce', [ints(e, s, sd, -3, 3)], { op, axis })[0]);
        }),
        runs,
      );
      await parity(
        engines,
        (e) => e.runKernel('argReduce', [ints(e, [3, 200, 2], 5, -40, 40, 'float32')], { op, axis: 1 })[0],
      );
    });

    it(`${op}: NaN as on the CPU (a leading NaN wins, later ones are skipped)`, async () => {
      const rows = [
        [Number.NaN, 1, 5, 2],
        [1, Number.NaN, 5, 5],
        [3, 1, Number.NaN, -2],
      ];
      await parity(engines, (e) => e.runKernel('argReduce', [e.tensor(rows)], { op, axis: 1 })[0]);
      const long = Array.from({ length: 300 }, (_, i) => (i % 37 === 5 ? Number.NaN : Math.sin(i)));
      await parity(engines, (e) => e.runKernel('argReduce', [e.tensor(long)], { op, axis: 0 })[0]);
      await parity(
        engines,
        (e) => e.runKernel('argReduce', [e.tensor([Number.NaN, ...long])], { op, axis: 0 })[0],
      );
    });
  }
});
