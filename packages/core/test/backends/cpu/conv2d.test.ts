import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Conv2dParams,
  conv2dBackwardFilter,
  conv2dBackwardInput,
  conv2dForward,
  conv2dOutputShape,
} from '../../../src/backends/cpu/kernels/conv2d.js';
import { planWide } from '../../../src/backends/cpu/kernels/conv2d-wide.js';
import { padding4, type Shape4, window2d } from '../../../src/backends/cpu/kernels/geometry.js';
import type { FloatArray } from '../../../src/dtype.js';
import { expectClose, expectSameDot, type FloatCtor, randomArray } from './helpers.js';

/*
 * Tolerances: each kernel is compared entrywise with a direct double-precision sum to
 * tol * max(1, sum of |terms|), tol = 1e-12 in float64 and (terms + 3) * 2^-24 in float32
 * (a float32 sum of that many products, the bias add and the roundings of the stores),
 * where the terms of an output are C/groups * Kh * Kw products, of an input gradient at
 * most O/groups * Kh * Kw, of a filter gradient N * Ho * Wo. The backward kernels are also
 * checked as adjoints of the forward in float64: <conv(x, w), dy> = <x, dx(dy, w)> =
 * <w, dw(x, dy)> to 1e-10 relative to the sum of absolute products.
 *
 * The cases reach every path: groups of 1-3 output channels (direct loops) and 4-6 (GEMM),
 * pointwise convs (GEMM on the image), "same" stride-1 convs with 4+ input channels per
 * group (input gradient as a transposed conv), other stride-1 convs on the wide grid
 * (conv2d-wide.ts: forward and filter gradient), several images per GEMM and bands of rows.
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

/** The input and filter gradients of convRef by their definition, with the sums of |terms|. */
function convGradRef(x: FloatArray, xs: Shape4, w: FloatArray, ws: Shape4, dy: FloatArray, p: Conv2dParams) {
  const [n, c, h, wd] = xs;
  const [o, cg, kh, kw] = ws;
  const [pt, , pl] = p.padding.length === 2 ? [p.padding[0], 0, p.padding[1]] : p.padding;
  const [, , ho, wo] = conv2dOutputShape(xs, ws, p);
  const og = o / p.groups;
  const dx = new Float64Array(x.length);
  const dxMag = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const dwMag = new Float64Array(w.length);
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const g = Math.floor(oc / og);
      for (let oh = 0; oh < ho; oh++) {
        for (let ow = 0; ow < wo; ow++) {
          const d = dy[((b * o + oc) * ho + oh) * wo + ow];
          for (let ci = 0; ci < cg; ci++) {
            for (let i = 0; i < kh; i++) {
              for (let j = 0; j < kw; j++) {
                const ih = oh * p.stride[0] - pt + i * p.dilation[0];
                const iw = ow * p.stride[1] - pl + j * p.dilation[1];
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                const xi = ((b * c + g * cg + ci) * h + ih) * wd + iw;
                const wi = ((oc * cg + ci) * kh + i) * kw + j;
                dx[xi] += d * w[wi];
                dxMag[xi] += Math.abs(d * w[wi]);
                dw[wi] += d * x[xi];
                dwMag[wi] += Math.abs(d * x[xi]);
              }
            }
          }
        }
      }
    }
  }
  return { dx, dxMag, dw, dwMag };
}

const pair = (lo: number, hi: number) =>
  fc.tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: lo, max: hi }));

const generalArb: fc.Arbitrary<Case> = fc.record({
  n: fc.integer({ min: 1, max: 4 }),
  groups: fc.integer({ min: 1, max: 3 }),
  cg: fc.integer({ min: 1, max: 5 }),
  og: fc.integer({ min: 1, max: 6 }),
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

/** Stride 1 with as much padding as the dilated kernel spans (split at random): output size = input size. */
const sameArb: fc.Arbitrary<Case> = fc
  .tuple(generalArb, fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8 }))
  .map(([c, top, left]) => {
    const extH = c.p.dilation[0] * (c.kernel[0] - 1);
    const extW = c.p.dilation[1] * (c.kernel[1] - 1);
    const [pt, pl] = [Math.min(top, extH), Math.min(left, extW)];
    return { ...c, p: { ...c.p, stride: [1, 1] as const, padding: [pt, extH - pt, pl, extW - pl] as const } };
  });

/** Whether conv2d.ts runs the forward and filter gradient of `c` on the wide grid (conv2d-wide.ts). */
function runsWide(c: Case): boolean {
  const win = window2d(c.cg, c.h, c.w, { kernel: c.kernel, ...c.p });
  const [pt, pb, pl, pr] = padding4(c.p.padding);
  const pointwise = c.kernel[0] === 1 && c.kernel[1] === 1 && pt + pb + pl + pr === 0;
  return (
    c.og >= 4 &&
    !pointwise &&
    win.outW !== c.w &&
    planWide(win, [pt, pb], [pl, pr], c.n, c.groups, c.og, 1 << 21) !== null
  );
}

/** Stride 1, not "same", wide enough images: the wide path, with 1-3 groups and several images per GEMM. */
const wideArb: fc.Arbitrary<Case> = fc
  .record({
    n: fc.integer({ min: 1, max: 6 }),
    groups: fc.integer({ min: 1, max: 3 }),
    cg: fc.integer({ min: 1, max: 5 }),
    og: fc.integer({ min: 4, max: 6 }),
    h: fc.integer({ min: 3, max: 12 }),
    w: fc.integer({ min: 6, max: 18 }),
    kernel: pair(1, 4),
    p: fc.record({
      stride: fc.constant([1, 1] as const),
      padding: fc.tuple(...[0, 1, 2, 3].map(() => fc.integer({ min: 0, max: 2 }))) as fc.Arbitrary<
        [number, number, number, number]
      >,
      dilation: pair(1, 2),
      groups: fc.constant(1),
    }),
    bias: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1 << 30 }),
  })
  .map((c) => ({ ...c, p: { ...c.p, groups: c.groups } }))
  .filter((c) => {
    const [, , ho, wo] = conv2dOutputShape(shapes(c).xs, shapes(c).ws, c.p);
    return ho >= 1 && wo >= 1 && runsWide(c);
  });

const caseArb = fc
  .oneof(
    { arbitrary: generalArb, weight: 3 },
    { arbitrary: pointwiseArb, weight: 1 },
    { arbitrary: sameArb, weight: 2 },
  )
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

function checkGradients(c: Case, ctor: FloatCtor): void {
  const { xs, ws } = shapes(c);
  const ys = conv2dOutputShape(xs, ws, c.p);
  const x = randomArray(ctor, size(xs), c.seed);
  const w = randomArray(ctor, size(ws), c.seed + 1);
  const dy = randomArray(ctor, size(ys), c.seed + 2);
  const dx = conv2dBackwardInput(dy, w, xs, ws, c.p);
  const dw = conv2dBackwardFilter(x, dy, xs, ws, c.p);
  expect(dx).toBeInstanceOf(ctor);
  expect(dw).toBeInstanceOf(ctor);
  const want = convGradRef(x, xs, w, ws, dy, c.p);
  const f32 = (terms: number) => (ctor === Float64Array ? 1e-12 : (terms + 3) * 2 ** -24);
  expectClose(dx, want.dx, f32(c.og * c.kernel[0] * c.kernel[1]), want.dxMag);
  expectClose(dw, want.dw, f32(c.n * ys[2] * ys[3]), want.dwMag);
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

  it('input and filter gradients equal the direct-loop definition (float64 1e-12, float32 (terms + 3) * 2^-24, relative to the sum of |terms|)', () => {
    fc.assert(
      fc.property(caseArb, fc.boolean(), (c, f64) => checkGradients(c, f64 ? Float64Array : Float32Array)),
      { numRuns: 200 },
    );
  });

  it('stride-1 convs on the wide grid: forward and both gradients equal the direct-loop definition (float64 1e-12, float32 (terms + 3) * 2^-24, relative to the sum of |terms|) and are adjoint to 1e-10', () => {
    fc.assert(
      fc.property(wideArb, fc.boolean(), (c, f64) => {
        const ctor = f64 ? Float64Array : Float32Array;
        checkForward(c, ctor);
        checkGradients(c, ctor);
        checkAdjoints(c);
      }),
      { numRuns: 150 },
    );
  });

  it("LeNet-5's conv2 (6 -> 16, 5 x 5, 14 x 14, unpadded) runs wide and equals the definition in float32 and float64", () => {
    const c: Case = {
      n: 5,
      groups: 1,
      cg: 6,
      og: 16,
      h: 14,
      w: 14,
      kernel: [5, 5],
      p: { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 },
      bias: true,
      seed: 3,
    };
    expect(runsWide(c)).toBe(true);
    for (const ctor of [Float32Array, Float64Array]) {
      checkForward(c, ctor);
      checkGradients(c, ctor);
    }
    checkAdjoints(c);
  });

  it('splits a large image into bands of output rows', () => {
    // its patch matrix, 144 x (90 * 174), exceeds the 2^21-element budget; 5 output
    // channels so that it runs GEMMs, not the direct loops
    const c: Case = {
      n: 1,
      groups: 1,
      cg: 16,
      og: 5,
      h: 180,
      w: 175,
      kernel: [3, 3],
      p: { stride: [2, 1], padding: [2, 1, 0, 1], dilation: [2, 1], groups: 1 },
      bias: true,
      seed: 11,
    };
    checkForward(c, Float64Array);
    checkAdjoints(c);
    checkGradients(c, Float32Array);
  });

  it('batches several small images into one GEMM, and leaves the inputs unchanged', () => {
    const c: Case = {
      n: 7,
      groups: 2,
      cg: 3,
      og: 4,
      h: 5,
      w: 4,
      kernel: [2, 3],
      p: { stride: [1, 2], padding: [1, 1], dilation: [1, 1], groups: 2 },
      bias: true,
      seed: 5,
    };
    checkForward(c, Float32Array);
    checkAdjoints(c);
    checkGradients(c, Float64Array);
    const { xs, ws } = shapes(c);
    const x = randomArray(Float64Array, size(xs), 1);
    const w = randomArray(Float64Array, size(ws), 2);
    const x0 = x.slice();
    const w0 = w.slice();
    const dy = randomArray(Float64Array, size(conv2dOutputShape(xs, ws, c.p)), 3);
    const dy0 = dy.slice();
    conv2dForward(x, xs, w, ws, c.p);
    conv2dBackwardInput(dy, w, xs, ws, c.p);
    conv2dBackwardFilter(x, dy, xs, ws, c.p);
    expect(x).toEqual(x0);
    expect(w).toEqual(w0);
    expect(dy).toEqual(dy0);
  });

  it('rejects a weight that does not match the channels and groups', () => {
    const p: Conv2dParams = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 2 };
    expect(() =>
      conv2dForward(new Float32Array(9 * 3), [1, 3, 3, 3], new Float32Array(4), [4, 1, 1, 1], p),
    ).toThrow(RangeError);
  });
});
