import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ints, parity, randn, useEngines } from './helpers.js';

const engines = useEngines();

/** Sizes around the 64 x 64 tile and the 16-deep K step; multiples of 4 take the vec4 loads. */
const dim = fc.oneof(fc.integer({ min: 1, max: 9 }), fc.constantFrom(4, 8, 16, 17, 33, 64, 65, 68));
/** Batch axes of a and b that broadcast together. */
const batches = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 2 }).chain((out) => {
  const operand = fc
    .tuple(
      fc.integer({ min: 0, max: out.length }),
      fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
    )
    .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
  return fc.tuple(operand, operand);
});
// K sums of up to ~70 products of normals: float32 rounding differs from the CPU's blocked order.
const tol = { rtol: 1e-4, atol: 1e-4 };

describe('matmul', () => {
  it('batched, broadcast batch axes, all transposes, tile edges and vec4 paths', async () => {
    await fc.assert(
      fc.asyncProperty(
        batches,
        dim,
        dim,
        dim,
        fc.boolean(),
        fc.boolean(),
        fc.nat(1e6),
        async ([ba, bb], m, n, k, transA, transB, sd) => {
          await parity(
            engines,
            (e) => {
              const a = randn(e, [...ba, ...(transA ? [k, m] : [m, k])], sd);
              const b = randn(e, [...bb, ...(transB ? [n, k] : [k, n])], sd + 1);
              return e.runKernel('matmul', [a, b], { transA, transB })[0];
            },
            tol,
          );
        },
      ),
      { numRuns: 20 },
    );
  });

  it('several tiles in every direction', async () => {
    await parity(
      engines,
      (e) =>
        e.runKernel('matmul', [randn(e, [2, 130, 70], 1), randn(e, [70, 150], 2)], {
          transA: false,
          transB: false,
        })[0],
      tol,
    );
  });

  it('int32 operands compute in float32', async () => {
    await parity(
      engines,
      (e) =>
        e.runKernel('matmul', [ints(e, [3, 5], 1, -9, 9), randn(e, [5, 4], 2)], {
          transA: false,
          transB: false,
        })[0],
    );
  });

  it('empty inner dimension gives zeros', async () => {
    await parity(
      engines,
      (e) => e.runKernel('matmul', [e.zeros([3, 0]), e.zeros([0, 5])], { transA: false, transB: false })[0],
    );
  });
});
