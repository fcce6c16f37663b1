/**
 * Float64 central-difference checks (eps 1e-6, rtol 1e-5, atol 1e-6) of the autodiff
 * gradient of every differentiable op, on random shapes and values kept inside each
 * op's domain and away from its kinks and ties.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  abs,
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  add,
  avgPool2d,
  batchNorm,
  broadcastTo,
  cast,
  clamp,
  concat,
  conv2d,
  cos,
  crossEntropy,
  div,
  dropout,
  einsum,
  erf,
  exp,
  expandDims,
  flatten,
  gather,
  gelu,
  greaterEqual,
  log,
  logSoftmax,
  logSumExp,
  matmul,
  max,
  maximum,
  maxPool2d,
  mean,
  min,
  minimum,
  mseLoss,
  mul,
  neg,
  nllLoss,
  norm,
  pad,
  pow,
  prod,
  reciprocal,
  relu,
  reshape,
  rsqrt,
  sigmoid,
  sin,
  slice,
  softmax,
  split,
  sqrt,
  square,
  squeeze,
  stack,
  std,
  sub,
  sum,
  type Tensor,
  tanh,
  transpose,
  variance,
  where,
} from '../src/index.js';
import {
  arbBroadcastPair,
  arbShape,
  arbTensorData,
  checkGradients,
  type GradientCheckOptions,
} from '../src/testing.js';
import { arbConvCaseOf, arbDistinctData, arbEinsum, arbPoolCase } from './arbitraries.js';
import * as ref from './reference.js';
import { f64, newEngine, values } from './util.js';

const engine = newEngine();
const RUNS = { numRuns: 15 } as const;

/** Runs a gradient check on float64 copies of `data` inside a tidy scope. */
function check(
  fn: (...xs: Tensor[]) => Tensor,
  inputs: [ArrayLike<number>, readonly number[]][],
  options?: GradientCheckOptions,
): void {
  engine.tidy(() => {
    checkGradients(
      engine,
      fn,
      inputs.map(([d, s]) => f64(engine, d, s)),
      options,
    );
  });
}

const arbX = (o: { min?: number; max?: number; minAbs?: number } = {}) =>
  arbShape({ maxRank: 3, maxDim: 3 }).chain((s) =>
    fc.tuple(fc.constant(s), arbTensorData(s, { min: -2, max: 2, ...o })),
  );

describe('gradients of unary ops (float64 central differences: eps 1e-6, rtol 1e-5, atol 1e-6)', () => {
  const cases: [string, (x: Tensor) => Tensor, { min?: number; max?: number; minAbs?: number }][] = [
    ['neg', neg, {}],
    ['abs', abs, { minAbs: 0.05 }],
    ['exp', exp, {}],
    ['log', log, { min: 0.2, max: 3 }],
    ['sqrt', sqrt, { min: 0.2, max: 3 }],
    ['rsqrt', rsqrt, { min: 0.2, max: 3 }],
    ['square', square, {}],
    ['reciprocal', reciprocal, { minAbs: 0.3 }],
    ['sin', sin, {}],
    ['cos', cos, {}],
    ['relu', relu, { minAbs: 0.05 }],
    ['sigmoid', sigmoid, { min: -5, max: 5 }],
    ['tanh', tanh, {}],
    ['gelu', gelu, { min: -4, max: 4 }],
    ['erf', erf, {}],
  ];
  for (const [name, op, domain] of cases) {
    it(`${name}: autodiff matches central differences (float64, rtol 1e-5) on random shapes in its domain`, () => {
      fc.assert(
        fc.property(arbX(domain), ([s, d]) => check(op, [[d, s]])),
        RUNS,
      );
    });
  }
});

describe('gradients of binary ops with broadcasting (float64 central differences: eps 1e-6, rtol 1e-5, atol 1e-6)', () => {
  /** Two broadcastable operands; `apart` keeps every broadcast pair at least that far apart (no ties). */
  const arbPair = (
    da: { min?: number; max?: number; minAbs?: number },
    db: { min?: number; max?: number; minAbs?: number },
    apart = 0,
  ) =>
    arbBroadcastPair({ maxRank: 3, maxDim: 3 })
      .chain(([sa, sb]) =>
        fc.tuple(fc.constant(sa), fc.constant(sb), arbTensorData(sa, da), arbTensorData(sb, db)),
      )
      .filter(
        ([sa, sb, a, b]) =>
          apart === 0 || ref.binary(a, sa, b, sb, (x, y) => Math.abs(x - y)).data.every((v) => v >= apart),
      );

  const cases: [string, (a: Tensor, b: Tensor) => Tensor, ReturnType<typeof arbPair>][] = [
    ['add', add, arbPair({}, {})],
    ['sub', sub, arbPair({}, {})],
    ['mul', mul, arbPair({}, {})],
    ['div', div, arbPair({}, { minAbs: 0.3 })],
    ['pow (both operands, positive base)', pow, arbPair({ min: 0.3, max: 2 }, { min: -2, max: 2 })],
    ['maximum', maximum, arbPair({}, {}, 1e-3)],
    ['minimum', minimum, arbPair({}, {}, 1e-3)],
  ];
  for (const [name, op, arb] of cases) {
    it(`${name}: gradients of both operands, summed over broadcast axes, match central differences (float64, rtol 1e-5)`, () => {
      fc.assert(
        fc.property(arb, ([sa, sb, a, b]) =>
          check(op, [
            [a, sa],
            [b, sb],
          ]),
        ),
        RUNS,
      );
    });
  }

  it('number operands on either side (add, sub, mul, div, pow with a number base or exponent) match central differences', () => {
    fc.assert(
      fc.property(arbX({ min: 0.3, max: 2 }), ([s, d]) => {
        check((x) => add(sub(2, x), mul(x, 3)), [[d, s]]);
        check((x) => add(div(x, 3), div(2, x)), [[d, s]]);
        check((x) => add(pow(x, 3), pow(x, -0.5)), [[d, s]]);
        check((x) => pow(1.7, x), [[d, s]]);
      }),
      RUNS,
    );
  });

  it('pow with a non-positive base and an integer exponent differentiates the base (log taken only where base > 0)', () => {
    check((x) => pow(x, 2), [[[-1.5, -0.5, 0.5, 2], [4]]]);
    check((x) => pow(x, 3), [[[-1.5, -0.5, 0.5, 2], [4]]]);
  });
});

describe('gradients of selection and conversion (float64 central differences: eps 1e-6, rtol 1e-5, atol 1e-6)', () => {
  it('where: gradients flow to the chosen branch, broadcast over cond, a and b (float64, rtol 1e-5)', () => {
    fc.assert(
      fc.property(
        arbBroadcastPair({ maxRank: 3, maxDim: 3 }).chain(([sa, sb]) => {
          const out = ref.broadcastShape(sa, sb);
          return fc.tuple(
            fc.constant(sa),
            fc.constant(sb),
            fc.constant(out),
            arbTensorData(sa),
            arbTensorData(sb),
            arbTensorData(out),
          );
        }),
        ([sa, sb, so, a, b, c]) => {
          const cond = engine.fromData(
            Float64Array.from(c, (v) => (v > 0 ? 1 : 0)),
            so,
          );
          check(
            (x, y) => where(cond, x, y),
            [
              [a, sa],
              [b, sb],
            ],
          );
          cond.dispose();
        },
      ),
      RUNS,
    );
  });

  it('clamp: gradient 1 strictly inside [low, high], 0 outside', () => {
    fc.assert(
      fc.property(
        arbX().filter(([, d]) => d.every((v) => Math.abs(v + 0.5) > 1e-3 && Math.abs(v - 0.7) > 1e-3)),
        ([s, d]) => check((x) => clamp(x, -0.5, 0.7), [[d, s]]),
      ),
      RUNS,
    );
  });

  it('cast float64 -> float32 -> float64 passes the gradient through (linear, so eps 1e-2 with atol 1e-4 for float32 rounding)', () => {
    fc.assert(
      fc.property(arbX(), ([s, d]) =>
        check((x) => cast(cast(mul(x, 3), 'float32'), 'float64'), [[d, s]], {
          eps: 1e-2,
          rtol: 1e-5,
          atol: 1e-4,
        }),
      ),
      RUNS,
    );
  });
});

describe('gradients of reductions (float64 central differences: eps 1e-6, rtol 1e-5, atol 1e-6)', () => {
  /** `minReduced`: at least this many elements per reduction (variance needs 2 to be defined, std 2 to be differentiable). */
  const arbReduce = (
    o: { min?: number; max?: number; minAbs?: number } = {},
    distinct = false,
    minReduced = 1,
  ) =>
    arbShape({ minRank: 1, maxRank: 3, maxDim: 3 })
      .chain((s) =>
        fc.tuple(
          fc.constant(s),
          distinct ? arbDistinctData(ref.size(s), 0.1) : arbTensorData(s, { min: -2, max: 2, ...o }),
          fc.option(fc.subarray([...s.keys()], { minLength: 1 }), { nil: undefined }),
          fc.boolean(),
        ),
      )
      .filter(([s, , axes]) => (axes ?? [...s.keys()]).reduce((p, a) => p * s[a], 1) >= minReduced);

  const cases: [
    string,
    (x: Tensor, axes: number[] | undefined, keep: boolean) => Tensor,
    ReturnType<typeof arbReduce>,
  ][] = [
    ['sum', (x, a, k) => sum(x, a, k), arbReduce()],
    ['mean', (x, a, k) => mean(x, a, k), arbReduce()],
    ['max (no ties)', (x, a, k) => max(x, a, k), arbReduce({}, true)],
    ['min (no ties)', (x, a, k) => min(x, a, k), arbReduce({}, true)],
    ['prod (no zeros)', (x, a, k) => prod(x, a, k), arbReduce({ minAbs: 0.3 })],
    ['variance (unbiased)', (x, a, k) => variance(x, a, { keepDims: k }), arbReduce({}, false, 2)],
    ['variance (biased)', (x, a, k) => variance(x, a, { keepDims: k, correction: 0 }), arbReduce()],
    ['std', (x, a, k) => std(x, a, { keepDims: k }), arbReduce({}, true, 2)],
    ['norm p=2', (x, a, k) => norm(x, 2, a, k), arbReduce({ minAbs: 0.1 })],
    ['norm p=1', (x, a, k) => norm(x, 1, a, k), arbReduce({ minAbs: 0.05 })],
    [
      'norm p=Infinity (distinct magnitudes)',
      (x, a, k) => norm(x, Number.POSITIVE_INFINITY, a, k),
      arbReduce({}, true),
    ],
    ['logSumExp', (x, a, k) => logSumExp(x, a, k), arbReduce()],
  ];
  for (const [name, op, arb] of cases) {
    it(`${name}: autodiff matches central differences over random axes, keepDims or not (float64, rtol 1e-5)`, () => {
      fc.assert(
        fc.property(arb, ([s, d, axes, keep]) => {
          const shifted = name.startsWith('norm p=Infinity') ? Float64Array.from(d, (v) => v + 0.025) : d; // no ±v ties
          check((x) => op(x, axes, keep), [[shifted, s]]);
        }),
        RUNS,
      );
    });
  }

  it('max and min share the gradient evenly among tied extremes', () => {
    const x = f64(engine, [1, 3, 3, 0, 0, 2], [2, 3]).requireGrad();
    const [gMax] = engine.gradients(max(x, 1), [x], { grad: f64(engine, [1, 1], [2]) });
    expect(values(gMax)).toEqual([0, 0.5, 0.5, 0, 0, 1]);
    const [gMin] = engine.gradients(sum(min(x)), [x]);
    expect(values(gMin)).toEqual([0, 0, 0, 0.5, 0.5, 0]);
  });
});

describe('gradients of shape ops (float64 central differences: eps 1e-6, rtol 1e-5, atol 1e-6)', () => {
  const arbT = (minRank = 0) =>
    arbShape({ minRank, maxRank: 3, maxDim: 3 }).chain((s) => fc.tuple(fc.constant(s), arbTensorData(s)));

  it('reshape (with -1), flatten, expandDims and squeeze pass gradients through', () => {
    fc.assert(
      fc.property(arbT(), ([s, d]) => {
        check((x) => reshape(x, [-1]), [[d, s]]);
        check((x) => flatten(expandDims(x, 0), 0, -1), [[d, s]]);
        check((x) => squeeze(expandDims(expandDims(x, -1), 0)), [[d, s]]);
      }),
      RUNS,
    );
  });

  it('transpose by a random permutation', () => {
    fc.assert(
      fc.property(
        arbT().chain(([s, d]) =>
          fc.tuple(
            fc.constant(s),
            fc.constant(d),
            fc.shuffledSubarray([...s.keys()], { minLength: s.length }),
          ),
        ),
        ([s, d, perm]) => check((x) => transpose(x, perm), [[d, s]]),
      ),
      RUNS,
    );
  });

  it('slice with negative indices and steps, and integer indices', () => {
    fc.assert(
      fc.property(
        arbT(2),
        fc.integer({ min: -3, max: 3 }).filter((v) => v !== 0),
        ([s, d], step) => check((x) => slice(x, [[null, null, step], -1]), [[d, s]]),
      ),
      RUNS,
    );
    check(
      (x) =>
        slice(x, [
          [-1, 0, -2],
          [1, null],
        ]),
      [
        [
          [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
          [4, 3],
        ],
      ],
    );
  });

  it('concat, stack and split (parts reordered or unused)', () => {
    fc.assert(
      fc.property(arbT(1), arbT(1), ([s1, d1], [, d2]) => {
        const s2 = [...s1];
        const d2b = Float64Array.from(
          { length: ref.size(s2) },
          (_, i) => d2[i % Math.max(d2.length, 1)] ?? 0.5,
        );
        check(
          (a, b) => concat([b, a, b], 0),
          [
            [d1, s1],
            [d2b, s2],
          ],
        );
        check(
          (a, b) => stack([a, b], -1),
          [
            [d1, s1],
            [d2b, s2],
          ],
        );
        const n = s1[0];
        check(
          (x) => {
            const parts = split(x, [1, n], 0);
            return concat([parts[1], mul(parts[0], 2)], 0);
          },
          [[Float64Array.from([...d1, ...d1.slice(0, d1.length / n)]), [n + 1, ...s1.slice(1)]]],
        );
        check(
          (x) => split(x, [n, 1], 0)[0],
          [[Float64Array.from([...d1, ...d1.slice(0, d1.length / n)]), [n + 1, ...s1.slice(1)]]],
        );
      }),
      RUNS,
    );
  });

  it('gather with repeated indices accumulates', () => {
    fc.assert(
      fc.property(arbT(2), fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), ([s, d], raw) => {
        const idx = engine.fromData(
          Int32Array.from(raw, (v) => v % s[1]),
          [raw.length],
        );
        check((x) => gather(x, idx, 1), [[d, s]]);
        idx.dispose();
      }),
      RUNS,
    );
  });

  it('pad and broadcastTo', () => {
    fc.assert(
      fc.property(arbT(1), fc.nat({ max: 2 }), fc.nat({ max: 2 }), ([s, d], p0, p1) => {
        check((x) => pad(x, [[p0, p1]], 0.5), [[d, s]]);
        check((x) => broadcastTo(x, [2, ...s.map((v) => (v === 1 ? 3 : v))]), [[d, s]]);
      }),
      RUNS,
    );
  });
});

describe('gradients of linear algebra (float64 central differences: eps 1e-6, rtol 1e-5, atol 1e-6)', () => {
  it('matmul: every transpose option with broadcast batch axes, and 1-d operands', () => {
    fc.assert(
      fc.property(
        fc.record({
          m: fc.integer({ min: 1, max: 3 }),
          k: fc.integer({ min: 1, max: 3 }),
          n: fc.integer({ min: 1, max: 3 }),
          batchA: fc.constantFrom([], [2], [1], [2, 1], [1, 2]),
          batchB: fc.constantFrom([], [2], [1], [2, 2]),
          transA: fc.boolean(),
          transB: fc.boolean(),
          seed: fc.nat(),
        }),
        (r) => {
          const sa = [...r.batchA, ...(r.transA ? [r.k, r.m] : [r.m, r.k])];
          const sb = [...r.batchB, ...(r.transB ? [r.n, r.k] : [r.k, r.n])];
          const rand = (s: number[], seed: number) =>
            engine.rand(s, { dtype: 'float64', low: -1, seed }).dataSync();
          check(
            (a, b) => matmul(a, b, { transA: r.transA, transB: r.transB }),
            [
              [rand(sa, r.seed), sa],
              [rand(sb, r.seed + 1), sb],
            ],
          );
          check(
            (v, b) => matmul(v, b),
            [
              [rand([r.k], r.seed + 2), [r.k]],
              [rand([...r.batchB, r.k, r.n], r.seed + 3), [...r.batchB, r.k, r.n]],
            ],
          );
          check(
            (a, v) => matmul(a, v, { transA: r.transA }),
            [
              [rand(sa, r.seed + 4), sa],
              [rand([r.k], r.seed + 5), [r.k]],
            ],
          );
        },
      ),
      RUNS,
    );
  });

  it('einsum on random specs', () => {
    fc.assert(
      fc.property(arbEinsum, ([{ spec, shapes }, data]) =>
        check(
          (...xs) => einsum(spec, ...xs),
          shapes.map((s, i) => [data[i], s] as [Float64Array | Float32Array, number[]]),
        ),
      ),
      { numRuns: 25 },
    );
  });
});

describe('gradients of convolution and pooling (float64 central differences: eps 1e-6, rtol 1e-5, atol 1e-6)', () => {
  it('conv2d: input, weight and bias with random stride/padding (number, pair, 4-sided)/dilation/groups/rectangular kernels', () => {
    fc.assert(
      fc.property(
        arbConvCaseOf({ maxN: 1, maxExtra: 2 }).chain((c) =>
          fc.tuple(
            fc.constant(c),
            arbTensorData(c.xShape),
            arbTensorData(c.wShape),
            arbTensorData([c.wShape[0]]),
          ),
        ),
        ([c, dx, dw, db]) => {
          const opts = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups };
          if (c.bias) {
            check(
              (x, w, b) => conv2d(x, w, b, opts),
              [
                [dx, c.xShape],
                [dw, c.wShape],
                [db, [c.wShape[0]]],
              ],
            );
          } else {
            check(
              (x, w) => conv2d(x, w, null, opts),
              [
                [dx, c.xShape],
                [dw, c.wShape],
              ],
            );
          }
        },
      ),
      { numRuns: 20 },
    );
  });

  it('maxPool2d (distinct values) with random kernel/stride/4-sided padding/dilation', () => {
    fc.assert(
      fc.property(
        arbPoolCase(true).chain((c) => fc.tuple(fc.constant(c), arbDistinctData(ref.size(c.xShape)))),
        ([c, d]) =>
          check(
            (x) => maxPool2d(x, c.kernel, { stride: c.stride, padding: c.pad4, dilation: c.dilation }),
            [[d, c.xShape]],
          ),
      ),
      RUNS,
    );
  });

  it('avgPool2d with and without countIncludePad', () => {
    fc.assert(
      fc.property(
        arbPoolCase(false).chain((c) => fc.tuple(fc.constant(c), arbTensorData(c.xShape), fc.boolean())),
        ([c, d, countIncludePad]) =>
          check(
            (x) => avgPool2d(x, c.kernel, { stride: c.stride, padding: c.pad4, countIncludePad }),
            [[d, c.xShape]],
          ),
      ),
      RUNS,
    );
  });

  it('adaptive average and max pooling (distinct values), output sizes up to the input size + 1', () => {
    fc.assert(
      fc.property(
        fc
          .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }))
          .chain(([h, w]) =>
            fc.tuple(
              fc.constant([1, 2, h, w]),
              fc.tuple(fc.integer({ min: 1, max: h + 1 }), fc.integer({ min: 1, max: w + 1 })),
              arbDistinctData(2 * h * w),
            ),
          ),
        ([s, out, d]) => {
          check((x) => adaptiveAvgPool2d(x, out), [[d, s]]);
          check((x) => adaptiveMaxPool2d(x, out), [[d, s]]);
        },
      ),
      RUNS,
    );
  });
});

describe('gradients of activations, losses and normalisation (float64 central differences: eps 1e-6, rtol 1e-5, atol 1e-6)', () => {
  const arbRows = fc
    .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 5 }))
    .chain(([n, c]) =>
      fc.tuple(
        fc.constant([n, c]),
        arbTensorData([n, c], { min: -3, max: 3 }),
        fc.array(fc.nat({ max: c - 1 }), { minLength: n, maxLength: n }),
      ),
    );

  it('softmax and logSoftmax along a random axis', () => {
    fc.assert(
      fc.property(
        arbShape({ minRank: 1, maxRank: 3, maxDim: 4 }).chain((s) =>
          fc.tuple(fc.constant(s), arbTensorData(s, { min: -3, max: 3 }), fc.nat()),
        ),
        ([s, d, k]) => {
          const axis = (k % s.length) - (k % 2 ? s.length : 0);
          check((x) => softmax(x, axis), [[d, s]]);
          check((x) => logSoftmax(x, axis), [[d, s]]);
        },
      ),
      RUNS,
    );
  });

  it('crossEntropy (every reduction, label smoothing) and nllLoss', () => {
    fc.assert(
      fc.property(
        arbRows,
        fc.constantFrom('mean', 'sum', 'none') as fc.Arbitrary<'mean' | 'sum' | 'none'>,
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        ([s, d, labels], reduction, labelSmoothing) => {
          const y = engine.fromData(Int32Array.from(labels), [labels.length]);
          check((x) => crossEntropy(x, y, { reduction, labelSmoothing }), [[d, s]]);
          check((x) => nllLoss(logSoftmax(x, 1), y, { reduction }), [[d, s]]);
          check((x) => nllLoss(x, y, { reduction }), [[d, s]]);
          y.dispose();
        },
      ),
      RUNS,
    );
  });

  it('mseLoss in both arguments, every reduction', () => {
    fc.assert(
      fc.property(
        arbX(),
        fc.constantFrom('mean', 'sum', 'none') as fc.Arbitrary<'mean' | 'sum' | 'none'>,
        ([s, d], reduction) =>
          check(
            (p, t) => mseLoss(p, t, { reduction }),
            [
              [d, s],
              [Float64Array.from(d, (v, i) => v * 0.5 + (i % 3) * 0.1), s],
            ],
          ),
      ),
      RUNS,
    );
  });

  it('batchNorm in training (input, weight, bias; batch statistics) and in evaluation (running statistics)', () => {
    fc.assert(
      fc.property(
        fc
          .tuple(
            fc.integer({ min: 2, max: 3 }),
            fc.integer({ min: 1, max: 3 }),
            fc.integer({ min: 1, max: 2 }),
            fc.integer({ min: 1, max: 3 }),
          )
          .chain((s) =>
            fc.tuple(
              fc.constant(s),
              arbTensorData(s, { min: -2, max: 2 }),
              arbTensorData([s[1]], { min: 0.5, max: 1.5 }),
              arbTensorData([s[1]]),
            ),
          ),
        ([s, d, w, b]) => {
          const c = s[1];
          check(
            (x, wt, bs) => batchNorm(x, { training: true, weight: wt, bias: bs }),
            [
              [d, s],
              [w, [c]],
              [b, [c]],
            ],
          );
          const rm = f64(engine, b, [c]);
          const rv = f64(engine, w, [c]);
          check(
            (x, wt, bs) =>
              batchNorm(x, { training: false, runningMean: rm, runningVar: rv, weight: wt, bias: bs }),
            [
              [d, s],
              [w, [c]],
              [b, [c]],
            ],
          );
          rm.dispose();
          rv.dispose();
        },
      ),
      RUNS,
    );
  });

  it('dropout with a fixed seed: the gradient is the same mask scaled by 1/(1-p), and matches central differences', () => {
    fc.assert(
      fc.property(arbX(), fc.double({ min: 0.1, max: 0.8, noNaN: true }), fc.nat(), ([s, d], p, seed) => {
        const fn = (x: Tensor) => {
          engine.seed(seed);
          return dropout(x, p);
        };
        check(fn, [[d, s]]);
        engine.tidy(() => {
          const x = f64(engine, d, s).requireGrad();
          const [g] = engine.gradients(sum(fn(x)), [x]);
          engine.seed(seed);
          const keep = greaterEqual(engine.rand(s, { dtype: 'float64' }), p);
          expect(values(g)).toEqual(values(keep).map((k) => k / (1 - p)));
          expect(values(fn(x))).toEqual(values(keep).map((k, i) => (d[i] * k) / (1 - p)));
        });
      }),
      RUNS,
    );
  });
});

describe('checkGradients itself', () => {
  it('reports a wrong gradient with the input index, the worst element and both values', () => {
    // a custom op whose gradient is deliberately off by a factor of 2 on the second input
    const bad = (a: Tensor, b: Tensor): Tensor =>
      engine.runKernel(
        'binary',
        [a, b],
        { op: 'mul' },
        (dys, saved) => [mul(dys[0], saved.inputs[1]), mul(mul(dys[0], saved.inputs[0]), 2)],
        {
          inputs: true,
        },
      )[0];
    const m0 = engine.memory();
    expect(() =>
      engine.tidy(() => {
        checkGradients(engine, bad, [f64(engine, [1, 2, 3], [3]), f64(engine, [4, 5, 6], [3])]);
      }),
    ).toThrow(
      /checkGradients: the gradient of input 1 \(\[3\]\) differs at 3 element\(s\); worst at \[2\] \(flat 2\): analytic -?[\d.]+, numeric -?[\d.]+/,
    );
    expect(engine.memory()).toEqual(m0);
  });

  it('accepts a correct gradient, returns both estimates and leaves nothing allocated', () => {
    const x = f64(engine, [0.5, -1, 2], [3]);
    const m0 = engine.memory();
    const r = checkGradients(engine, (t) => mul(t, t), [x]);
    expect(engine.memory()).toEqual(m0);
    expect(r.worstRatio).toBeLessThanOrEqual(1);
    expect(r.analytic[0].length).toBe(3);
    expect(x.requiresGrad).toBe(false);
    expect(() => checkGradients(engine, exp, [engine.ones([2])])).toThrow(
      'checkGradients: input 0 is float32; finite differences need float64',
    );
    expect(() => engine.noGrad(() => checkGradients(engine, exp, [x]))).toThrow(/gradients are off/);
  });
});
