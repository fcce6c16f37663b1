import {
  abs,
  add,
  BINARY_OPS,
  type Engine,
  greaterEqual,
  type Tensor,
  UNARY_OPS,
  type UnaryOp,
  where,
} from '@lowrank/core';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ints, parity, randn, useEngines } from './helpers.js';

const engines = useEngines();

const shape = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 4 });
/** Shapes that broadcast together: an output shape with leading axes dropped and some axes set to 1. */
const broadcastShapes = (count: number) =>
  shape.chain((out) => {
    const operand = fc
      .tuple(
        fc.integer({ min: 0, max: out.length }),
        fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
      )
      .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
    return fc.array(operand, { minLength: count, maxLength: count });
  });
const seed = fc.integer({ min: 0, max: 1e6 });
const runs = { numRuns: 5 };

/** Inputs inside each op's domain, reaching into the saturating tails. */
function unaryInput(e: Engine, op: UnaryOp, s: readonly number[], sd: number): Tensor {
  const wide = ['sigmoid', 'tanh', 'gelu', 'geluGrad', 'erf', 'sin', 'cos', 'exp', 'floor', 'ceil'].includes(
    op,
  );
  const x = randn(e, s, sd, wide ? 4 : 1);
  if (op === 'log' || op === 'sqrt' || op === 'rsqrt') return add(abs(x), 0.1);
  if (op === 'reciprocal') return add(x, where(greaterEqual(x, 0), 0.1, -0.1));
  if (op === 'round')
    return e.tensor(
      Array.from({ length: x.size }, (_, i) => ((i % 11) - 5) / 2),
      s,
    ); // halves
  return x;
}

describe('unary', () => {
  for (const op of UNARY_OPS) {
    it(`${op}: float32 and int32`, async () => {
      await fc.assert(
        fc.asyncProperty(shape, seed, async (s, sd) => {
          await parity(engines, (e) => e.runKernel('unary', [unaryInput(e, op, s, sd)], { op })[0], {}, op);
          // int32 keeps its type for neg/abs/sign/square/floor/ceil/round/relu, the rest compute in float32
          await parity(
            engines,
            (e) => e.runKernel('unary', [ints(e, s, sd, -6, 6)], { op })[0],
            {},
            `${op} int32`,
          );
        }),
        runs,
      );
    });
  }

  it('erf and gelu are accurate to float32 deep in the tails', async () => {
    const xs = [-9, -6, -5.5, -4, -3, -2.5, -1, -0.5, -1e-3, 0, 1e-4, 0.49, 0.51, 1, 2, 3.7, 6, 9];
    for (const op of ['erf', 'gelu', 'geluGrad'] as const) {
      await parity(
        engines,
        (e) => e.runKernel('unary', [e.tensor(xs)], { op })[0],
        { rtol: 2e-6, atol: 1e-7 },
        op,
      );
    }
  });
});

describe('binary', () => {
  for (const op of BINARY_OPS) {
    it(`${op}: broadcasting, float32/int32/mixed`, async () => {
      await fc.assert(
        fc.asyncProperty(broadcastShapes(2), seed, async ([sa, sb], sd) => {
          const floats = (e: Engine): [Tensor, Tensor] => {
            // Small multiples of 1/2 so that comparisons see ties; positive bases for pow.
            const a = ints(e, sa, sd, -6, 6, 'float32').div(2);
            const b = ints(e, sb, sd + 1, -6, 6, 'float32').div(2);
            if (op === 'pow') return [add(abs(a), 0.25), b];
            if (op === 'div') return [a, add(b, where(greaterEqual(b, 0), 0.25, -0.25))];
            return [a, b];
          };
          const intB = (e: Engine) =>
            op === 'div' || op === 'pow' ? ints(e, sb, sd + 1, 1, 4) : ints(e, sb, sd + 1, -5, 5);
          await parity(engines, (e) => e.runKernel('binary', floats(e), { op })[0], {}, `${op} float32`);
          await parity(
            engines,
            (e) => e.runKernel('binary', [ints(e, sa, sd, -5, 5), intB(e)], { op })[0],
            {},
            `${op} int32`,
          );
          await parity(
            engines,
            (e) => e.runKernel('binary', [floats(e)[0], intB(e)], { op })[0],
            {},
            `${op} mixed`,
          );
        }),
        runs,
      );
    });
  }

  it('pow follows Math.pow: negative bases, zero exponents, integer powers', async () => {
    await parity(
      engines,
      (e) =>
        e.runKernel(
          'binary',
          [e.tensor([-2, -2, -2, 0, 0, 3, -1.5, 2]), e.tensor([3, 2, 0.5, 0, -1, 0, 2, -2])],
          { op: 'pow' },
        )[0],
    );
    await parity(
      engines,
      (e) =>
        e.runKernel(
          'binary',
          [
            e.tensor([2, -3, 1, -1, -1, 5, 0], [7], 'int32'),
            e.tensor([10, 3, -4, -3, -2, -1, 0], [7], 'int32'),
          ],
          { op: 'pow' },
        )[0],
    );
  });

  it('maximum and minimum propagate NaN', async () => {
    for (const op of ['maximum', 'minimum'] as const) {
      await parity(
        engines,
        (e) => e.runKernel('binary', [e.tensor([Number.NaN, 1, 2]), e.tensor([1, Number.NaN, 3])], { op })[0],
      );
    }
  });
});

describe('where and cast', () => {
  it('where: broadcasting, float32 or int32 condition, branches promoted', async () => {
    await fc.assert(
      fc.asyncProperty(
        broadcastShapes(3),
        seed,
        fc.constantFrom('float32', 'int32'),
        async ([sc, sa, sb], sd, cType) => {
          await parity(engines, (e) => {
            const c = ints(e, sc, sd, 0, 1, cType);
            return [
              e.runKernel('where', [c, randn(e, sa, sd + 1), randn(e, sb, sd + 2)], {})[0],
              e.runKernel('where', [c, ints(e, sa, sd + 1, -9, 9), randn(e, sb, sd + 2, 5)], {})[0],
            ];
          });
        },
      ),
      runs,
    );
  });

  it('cast truncates toward zero and maps NaN and infinities to 0', async () => {
    await parity(engines, (e) => [
      e.runKernel('cast', [e.tensor([-2.7, -0.5, 0, 0.5, 2.99, 1e6, Number.NaN, Number.POSITIVE_INFINITY])], {
        dtype: 'int32',
      })[0],
      e.runKernel('cast', [e.tensor([-7, 0, 3, 2 ** 30], [4], 'int32')], { dtype: 'float32' })[0],
    ]);
  });
});
