import {
  concat,
  type Engine,
  gather,
  mul,
  pad,
  type SliceSpec,
  slice,
  sum,
  type Tensor,
} from '@lowrank/core';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ints, parity, randn, useEngines } from './helpers.js';

const engines = useEngines();

const shape = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 });
const seed = fc.integer({ min: 0, max: 1e6 });
const dtype = fc.constantFrom('float32' as const, 'int32' as const);
const runs = { numRuns: 10 };

const input = (e: Engine, s: readonly number[], sd: number, dt: 'float32' | 'int32'): Tensor =>
  dt === 'int32' ? ints(e, s, sd, -100, 100) : randn(e, s, sd);

/** Gradient of sum(f(x) * r) with respect to x, r random: exercises the backward kernel of f. */
function gradOf(e: Engine, x: Tensor, f: (x: Tensor) => Tensor, sd: number): Tensor {
  x.requireGrad();
  const y = f(x);
  return e.gradients(sum(mul(y, randn(e, y.shape, sd))), [x])[0];
}

describe('movement', () => {
  it('transpose by a random permutation', async () => {
    await fc.assert(
      fc.asyncProperty(
        shape.chain((s) =>
          fc.tuple(
            fc.constant(s),
            fc.shuffledSubarray(
              s.map((_, i) => i),
              { minLength: s.length, maxLength: s.length },
            ),
          ),
        ),
        seed,
        dtype,
        async ([s, perm], sd, dt) =>
          parity(engines, (e) => e.runKernel('transpose', [input(e, s, sd, dt)], { perm })[0]),
      ),
      runs,
    );
  });

  const sliceSpecs = (s: number[]) =>
    fc.tuple(
      ...s.map((d) =>
        fc.oneof(
          fc.constant(null),
          fc.integer({ min: -d, max: d - 1 }),
          fc.tuple(
            fc.integer({ min: -d - 1, max: d + 1 }),
            fc.integer({ min: -d - 1, max: d + 1 }),
            fc.constantFrom(1, 2, -1, -2),
          ),
        ),
      ),
    ) as fc.Arbitrary<SliceSpec[]>;

  it('slice (negative steps, dropped axes) and its gradient (sliceGrad)', async () => {
    await fc.assert(
      fc.asyncProperty(
        shape.chain((s) => fc.tuple(fc.constant(s), sliceSpecs(s))),
        seed,
        dtype,
        async ([s, specs], sd, dt) => {
          await parity(engines, (e) => slice(input(e, s, sd, dt), specs));
          await parity(engines, (e) => gradOf(e, randn(e, s, sd), (x) => slice(x, specs), sd + 1));
        },
      ),
      runs,
    );
  });

  it('pad with a value, and its gradient', async () => {
    await fc.assert(
      fc.asyncProperty(
        shape.chain((s) =>
          fc.tuple(
            fc.constant(s),
            fc.array(fc.tuple(fc.nat(2), fc.nat(2)), { minLength: s.length, maxLength: s.length }),
          ),
        ),
        seed,
        dtype,
        fc.integer({ min: -3, max: 3 }),
        async ([s, paddings], sd, dt, value) => {
          await parity(engines, (e) => pad(input(e, s, sd, dt), paddings, value));
          await parity(engines, (e) => gradOf(e, randn(e, s, sd), (x) => pad(x, paddings, 0.5), sd + 1));
        },
      ),
      runs,
    );
  });

  it('concat along any axis', async () => {
    await fc.assert(
      fc.asyncProperty(
        shape.chain((s) =>
          fc.tuple(
            fc.constant(s),
            fc.nat(s.length - 1),
            fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }),
          ),
        ),
        seed,
        dtype,
        async ([s, axis, sizes], sd, dt) =>
          parity(engines, (e) =>
            concat(
              sizes.map((n, k) =>
                input(
                  e,
                  s.map((d, i) => (i === axis ? n : d)),
                  sd + k,
                  dt,
                ),
              ),
              axis,
            ),
          ),
      ),
      runs,
    );
  });

  it('broadcastTo', async () => {
    await fc.assert(
      fc.asyncProperty(
        shape.chain((out) =>
          fc.tuple(
            fc.constant(out),
            fc.integer({ min: 0, max: out.length }),
            fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
          ),
        ),
        seed,
        dtype,
        async ([out, drop, ones], sd, dt) => {
          const s = out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d));
          await parity(engines, (e) => e.runKernel('broadcastTo', [input(e, s, sd, dt)], { shape: out })[0]);
        },
      ),
      runs,
    );
  });

  it('gather along any axis with repeated indices, and its gradient (gatherGrad)', async () => {
    await fc.assert(
      fc.asyncProperty(
        shape.chain((s) => fc.tuple(fc.constant(s), fc.nat(s.length - 1))),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 2 }),
        seed,
        dtype,
        async ([s, axis], indexShape, sd, dt) => {
          const idx = (e: Engine) => ints(e, indexShape, sd, 0, s[axis] - 1);
          await parity(engines, (e) => gather(input(e, s, sd, dt), idx(e), axis));
          await parity(engines, (e) => gradOf(e, randn(e, s, sd), (x) => gather(x, idx(e), axis), sd + 1));
        },
      ),
      runs,
    );
  });

  it('oneHot, out-of-range indices giving zero rows', async () => {
    await fc.assert(
      fc.asyncProperty(shape, fc.integer({ min: 1, max: 6 }), seed, dtype, async (s, depth, sd, dt) =>
        parity(engines, (e) => e.runKernel('oneHot', [ints(e, s, sd, -1, depth)], { depth, dtype: dt })[0]),
      ),
      runs,
    );
  });
});
