import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Conv2dParams,
  conv2dBackwardFilter,
  conv2dBackwardInput,
  conv2dForward,
  conv2dOutputShape,
} from '../../../src/backends/cpu/kernels/conv2d.js';
import type { Shape4 } from '../../../src/backends/cpu/kernels/geometry.js';
import type { FloatArray } from '../../../src/dtype.js';
import { expectClose, expectSameDot, type FloatCtor, randomArray } from './helpers.js';

/*
 * Tolerances: the forward is compared entrywise with a direct double-precision sum to
 * tol * max(1, sum of |terms|), tol = 1e-12 in float64 and (C/groups * Kh * Kw + 3) * 2^-24
 * in float32 (a float32 sum of that many products, the bias add and the roundings of
 * the stores). The backward kernels are checked as adjoints
 * of the forward in float64: <conv(x, w), dy> = <x, dx(dy, w)> = <w, dw(x, dy)> to
 * 1e-10 relative to the sum of absolute products.
 */

interface Case {
  n: number;
  groups: number;
  cg: number;
  og: number;
  h: number;
  w: number;
  kernel: [number, number];
  p: Conv2dParams;
  bias: boolean;
  seed: number;
}

/** PyTorch's conv2d by its definition. */
function convRef(
  x: FloatArray,
  xs: Shape4,
  w: FloatArray,
  ws: Shape4,
  p: Conv2dParams,
  bias: FloatArray | null,
) {
  const [n, c, h, wd] = xs;
  const [o, cg, kh, kw] = ws;
  const [pt, , pl] = p.padding.length === 2 ? [p.padding[0], 0, p.padding[1]] : p.padding;
  const [, , ho, wo] = conv2dOutputShape(xs, ws, p);
  const og = o / p.groups;
  const y = new Float64Array(n * o * ho * wo);
  const mag = new Float64Array(y.length);
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const g = Math.floor(oc / og);
      for (let oh = 0; oh < ho; oh++) {
        for (let ow = 0; ow < wo; ow++) {
          let s = bias ? bias[oc] : 0;
          let m = Math.abs(s);
          for (let ci = 0; ci < cg; ci++) {
            for (let i = 0; i < kh; i++) {
              for (let j = 0; j < kw; j++) {
                const ih = oh * p.stride[0] - pt + i * p.dilation[0];
                const iw = ow * p.stride[1] - pl + j * p.dilation[1];
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                const t =
                  x[((b * c + g * cg + ci) * h + ih) * wd + iw] * w[((oc * cg + ci) * kh + i) * kw + j];
                s += t;
                m += Math.abs(t);
              }
            }
          }
          const q = ((b * o + oc) * ho + oh) * wo + ow;
          y[q] = s;
          mag[q] = m;
        }
      }
    }
  }
  return { y, mag };
}

const pair = (lo: number, hi: number) =>
  fc.tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: lo, max: hi }));

const generalArb: fc.Arbitrary<Case> = fc.record({
  n: fc.integer({ min: 1, max: 4 }),
  groups: fc.integer({ min: 1, max: 3 }),
  cg: fc.integer({ min: 1, max: 3 }),
  og: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 9 }),
  w: fc.integer({ min: 1, max: 9 }),
  kernel: pair(1, 4),
  p: fc.record({
    stride: pair(1, 3),
    padding: fc.oneof(
      pair(0, 2),
      fc.tuple(...[0, 1, 2, 3].map(() => fc.integer({ min: 0, max: 3 }))) as fc.Arbitrary<
        [number, number, number, number]
      >,
    ),
    dilation: pair(1, 3),
    groups: fc.constant(1),
  }),
  bias: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
});

/** 1 x 1, stride 1, no padding: the kernels skip im2col there. */
const pointwiseArb: fc.Arbitrary<Case> = generalArb.map((c) => ({
  ...c,
  kernel: [1, 1],
  p: { ...c.p, stride: [1, 1], padding: [0, 0] },
}));

const caseArb = fc
  .oneof({ arbitrary: generalArb, weight: 4 }, { arbitrary: pointwiseArb, weight: 1 })
  .map((c) => ({ ...c, p: { ...c.p, groups: c.groups } }))
  .filter((c) => {
    const [, , ho, wo] = conv2dOutputShape(shapes(c).xs, shapes(c).ws, c.p);
    return ho >= 1 && wo >= 1;
  });

function shapes(c: Case): { xs: Shape4; ws: Shape4 } {
  return {
    xs: [c.n, c.groups * c.cg, c.h, c.w],
    ws: [c.groups * c.og, c.cg, c.kernel[0], c.kernel[1]],
  };
}

function size(s: readonly number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

function checkForward(c: Case, ctor: FloatCtor): void {
  const { xs, ws } = shapes(c);
  const x = randomArray(ctor, size(xs), c.seed);
  const w = randomArray(ctor, size(ws), c.seed + 1);
  const bias = c.bias ? randomArray(ctor, ws[0], c.seed + 2) : null;
  const got = conv2dForward(x, xs, w, ws, c.p, bias);
  expect(got).toBeInstanceOf(ctor);
  const { y, mag } = convRef(x, xs, w, ws, c.p, bias);
  const terms = c.cg * c.kernel[0] * c.kernel[1];
  expectClose(got, y, ctor === Float64Array ? 1e-12 : (terms + 3) * 2 ** -24, mag);
}

function checkAdjoints(c: Case): void {
  const { xs, ws } = shapes(c);
  const ys = conv2dOutputShape(xs, ws, c.p);
  const x = randomArray(Float64Array, size(xs), c.seed);
  const w = randomArray(Float64Array, size(ws), c.seed + 1);
  const dy = randomArray(Float64Array, size(ys), c.seed + 2);
  const y = conv2dForward(x, xs, w, ws, c.p);
  const dx = conv2dBackwardInput(dy, w, xs, ws, c.p);
  const dw = conv2dBackwardFilter(x, dy, xs, ws, c.p);
  expect(dx.length).toBe(x.length);
  expect(dw.length).toBe(w.length);
  expectSameDot(y, dy, x, dx, 1e-10);
  expectSameDot(y, dy, w, dw, 1e-10);
}

describe('conv2d kernels', () => {
  it('forward matches the definition (groups, stride, asymmetric padding, dilation, bias)', () => {
    fc.assert(
      fc.property(caseArb, fc.boolean(), (c, f64) => checkForward(c, f64 ? Float64Array : Float32Array)),
      { numRuns: 200 },
    );
  });

  it('backward input and filter are the adjoints of the forward', () => {
    fc.assert(fc.property(caseArb, checkAdjoints), { numRuns: 200 });
  });

  it('splits a large image into bands of output rows', () => {
    // its patch matrix, 144 x (90 * 174), exceeds the 2^21-element budget
    const c: Case = {
      n: 1,
      groups: 1,
      cg: 16,
      og: 3,
      h: 180,
      w: 175,
      kernel: [3, 3],
      p: { stride: [2, 1], padding: [2, 1, 0, 1], dilation: [2, 1], groups: 1 },
      bias: true,
      seed: 11,
    };
    checkForward(c, Float64Array);
    checkAdjoints(c);
  });

  it('batches several small images into one GEMM, and leaves the inputs unchanged', () => {
    const c: Case = {
      n: 7,
      groups: 2,
      cg: 3,
      og: 2,
      h: 5,
      w: 4,
      kernel: [2, 3],
      p: { stride: [1, 2], padding: [1, 1], dilation: [1, 1], groups: 2 },
      bias: true,
      seed: 5,
    };
    checkForward(c, Float32Array);
    checkAdjoints(c);
    const { xs, ws } = shapes(c);
    const x = randomArray(Float64Array, size(xs), 1);
    const w = randomArray(Float64Array, size(ws), 2);
    const x0 = x.slice();
    const w0 = w.slice();
    conv2dForward(x, xs, w, ws, c.p);
    expect(x).toEqual(x0);
    expect(w).toEqual(w0);
  });

  it('rejects a weight that does not match the channels and groups', () => {
    const p: Conv2dParams = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 2 };
    expect(() =>
      conv2dForward(new Float32Array(9 * 3), [1, 3, 3, 3], new Float32Array(4), [4, 1, 1, 1], p),
    ).toThrow(RangeError);
  });
});
