import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Shape4 } from '../../../src/backends/cpu/kernels/geometry.js';
import {
  type AvgPool2dParams,
  adaptiveAvgPool2dBackward,
  adaptiveAvgPool2dForward,
  adaptiveMaxPool2dBackward,
  adaptiveMaxPool2dForward,
  avgPool2dBackward,
  avgPool2dForward,
  maxPool2dBackward,
  maxPool2dForward,
  type Pool2dParams,
  pool2dOutputShape,
} from '../../../src/backends/cpu/kernels/pool.js';
import type { FloatArray } from '../../../src/dtype.js';
import { expectClose, expectSameDot, randomArray } from './helpers.js';

/*
 * Max pools pick values, so outputs and argmax must equal the reference exactly; their
 * backward is the adjoint of that pick, <y, dy> = <x, dx>. Average pools are compared
 * to 1e-13 (float64) and checked as adjoints to 1e-12, relative to the sum of
 * absolute products.
 */

interface Case {
  xs: Shape4;
  p: Pool2dParams;
  seed: number;
}

const pair = (lo: number, hi: number) =>
  fc.tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: lo, max: hi }));

/** Padding at most half the kernel on every side, as PyTorch requires. */
const caseArb = (dilated: boolean): fc.Arbitrary<Case> =>
  fc
    .record({
      xs: fc.tuple(
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
      ),
      kernel: pair(1, 4),
      stride: pair(1, 3),
      pad: fc.tuple(...[0, 1, 2, 3].map(() => fc.integer({ min: 0, max: 2 }))),
      dilation: dilated ? pair(1, 3) : fc.constant<[number, number]>([1, 1]),
      seed: fc.integer({ min: 0, max: 1 << 30 }),
    })
    .map(({ xs, kernel, stride, pad, dilation, seed }) => {
      const half = [kernel[0], kernel[0], kernel[1], kernel[1]].map((k) => Math.floor(k / 2));
      const padding = pad.map((v, i) => Math.min(v, half[i])) as [number, number, number, number];
      return { xs: xs as Shape4, p: { kernel, stride, padding, dilation }, seed };
    })
    .filter(({ xs, p }) => {
      const [, , ho, wo] = pool2dOutputShape(xs, p);
      return ho >= 1 && wo >= 1;
    });

const adaptiveArb = fc.record({
  xs: fc.tuple(
    fc.integer({ min: 1, max: 2 }),
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 1, max: 11 }),
    fc.integer({ min: 1, max: 11 }),
  ),
  out: pair(1, 6),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
});

/** Every output window as a list of flat in-plane indices (in row-major window order), by the definitions. */
function windows(xs: Shape4, p: Pool2dParams): { cells: number[][]; sizes: number[] } {
  const [, , h, w] = xs;
  const [pt, pb, pl, pr] = p.padding as [number, number, number, number];
  const [dh, dw] = p.dilation ?? [1, 1];
  const [, , ho, wo] = pool2dOutputShape(xs, p);
  const cells: number[][] = [];
  const sizes: number[] = [];
  for (let oh = 0; oh < ho; oh++) {
    for (let ow = 0; ow < wo; ow++) {
      const list: number[] = [];
      for (let i = 0; i < p.kernel[0]; i++) {
        for (let j = 0; j < p.kernel[1]; j++) {
          const ih = oh * p.stride[0] - pt + i * dh;
          const iw = ow * p.stride[1] - pl + j * dw;
          if (ih >= 0 && ih < h && iw >= 0 && iw < w) list.push(ih * w + iw);
        }
      }
      cells.push(list);
      // the window clipped to the padded input, as PyTorch's count_include_pad divisor
      const hs = oh * p.stride[0] - pt;
      const ws = ow * p.stride[1] - pl;
      sizes.push((Math.min(hs + p.kernel[0], h + pb) - hs) * (Math.min(ws + p.kernel[1], w + pr) - ws));
    }
  }
  return { cells, sizes };
}

function adaptiveWindows(xs: Shape4, out: [number, number]): number[][] {
  const [, , h, w] = xs;
  const cells: number[][] = [];
  for (let oh = 0; oh < out[0]; oh++) {
    for (let ow = 0; ow < out[1]; ow++) {
      const list: number[] = [];
      for (let ih = Math.floor((oh * h) / out[0]); ih < Math.ceil(((oh + 1) * h) / out[0]); ih++) {
        for (let iw = Math.floor((ow * w) / out[1]); iw < Math.ceil(((ow + 1) * w) / out[1]); iw++)
          list.push(ih * w + iw);
      }
      cells.push(list);
    }
  }
  return cells;
}

function maxRef(x: FloatArray, xs: Shape4, cells: number[][]) {
  const planes = xs[0] * xs[1];
  const plane = xs[2] * xs[3];
  const y: number[] = [];
  const arg: number[] = [];
  for (let pl = 0; pl < planes; pl++) {
    for (const list of cells) {
      let best = Number.NEGATIVE_INFINITY;
      let at = -1;
      for (const c of list) {
        const v = x[pl * plane + c];
        if (at < 0 || v > best || Number.isNaN(v)) [best, at] = [v, c];
      }
      y.push(best);
      arg.push(at);
    }
  }
  return { y, arg };
}

function avgRef(x: FloatArray, xs: Shape4, cells: number[][], divisors: number[]): number[] {
  const plane = xs[2] * xs[3];
  const y: number[] = [];
  for (let pl = 0; pl < xs[0] * xs[1]; pl++) {
    cells.forEach((list, q) => {
      let s = 0;
      for (const c of list) s += x[pl * plane + c];
      y.push(s / divisors[q]);
    });
  }
  return y;
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

describe('max pooling', () => {
  it('matches the definition (values and first-max argmax), with dilation and asymmetric padding', () => {
    fc.assert(
      fc.property(caseArb(true), ({ xs, p, seed }) => {
        const x = randomArray(Float64Array, size(xs), seed);
        const { y, argmax } = maxPool2dForward(x, xs, p);
        const want = maxRef(x, xs, windows(xs, p).cells);
        expect([...y]).toEqual(want.y);
        expect([...argmax]).toEqual(want.arg);
      }),
      { numRuns: 300 },
    );
  });

  it('backward is the adjoint of picking x at argmax', () => {
    fc.assert(
      fc.property(caseArb(true), ({ xs, p, seed }) => {
        const x = randomArray(Float64Array, size(xs), seed);
        const { y, argmax } = maxPool2dForward(x, xs, p);
        const dy = randomArray(Float64Array, y.length, seed + 1);
        // a dilated window can see only padding (y = -Infinity, argmax = -1): it picks nothing
        const picked = y.map((v, q) => (argmax[q] < 0 ? 0 : v));
        expectSameDot(picked, dy, x, maxPool2dBackward(dy, argmax, xs), 1e-12);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the first of tied maxima, lets NaN win, and keeps float32', () => {
    const x = new Float32Array([1, 3, 3, 0, Number.NaN, 2, 5, 5, 1]);
    const { y, argmax } = maxPool2dForward(x, [1, 1, 3, 3], {
      kernel: [2, 2],
      stride: [1, 1],
      padding: [0, 0],
    });
    expect(y).toBeInstanceOf(Float32Array);
    expect([...argmax]).toEqual([4, 4, 4, 4]);
    expect(Number.isNaN(y[0])).toBe(true);
    const z = maxPool2dForward(new Float32Array([1, 3, 3, 0]), [1, 1, 2, 2], {
      kernel: [2, 2],
      stride: [2, 2],
      padding: [0, 0],
    });
    expect([...z.y, ...z.argmax]).toEqual([3, 1]);
  });
});

describe('average pooling', () => {
  it('matches the definition with and without count_include_pad', () => {
    fc.assert(
      fc.property(caseArb(false), fc.boolean(), ({ xs, p, seed }, countIncludePad) => {
        const x = randomArray(Float64Array, size(xs), seed);
        const ap: AvgPool2dParams = { ...p, countIncludePad };
        const { cells, sizes } = windows(xs, p);
        const divisors = countIncludePad ? sizes : cells.map((c) => c.length);
        expectClose(avgPool2dForward(x, xs, ap), avgRef(x, xs, cells, divisors), 1e-13);
      }),
      { numRuns: 300 },
    );
  });

  it('backward is the adjoint of the forward', () => {
    fc.assert(
      fc.property(caseArb(false), fc.boolean(), ({ xs, p, seed }, countIncludePad) => {
        const ap: AvgPool2dParams = { ...p, countIncludePad };
        const x = randomArray(Float64Array, size(xs), seed);
        const y = avgPool2dForward(x, xs, ap);
        const dy = randomArray(Float64Array, y.length, seed + 1);
        expectSameDot(y, dy, x, avgPool2dBackward(dy, xs, ap), 1e-12);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses dilation', () => {
    const p = {
      kernel: [2, 2],
      stride: [1, 1],
      padding: [0, 0],
      dilation: [2, 1],
      countIncludePad: true,
    } as const;
    expect(() => avgPool2dForward(new Float32Array(16), [1, 1, 4, 4], p)).toThrow(RangeError);
  });
});

describe('adaptive pooling', () => {
  it('average matches the floor/ceil windows and its backward is the adjoint', () => {
    fc.assert(
      fc.property(adaptiveArb, ({ xs, out, seed }) => {
        const shape = xs as Shape4;
        const x = randomArray(Float64Array, size(shape), seed);
        const cells = adaptiveWindows(shape, out);
        const y = adaptiveAvgPool2dForward(x, shape, out);
        expectClose(
          y,
          avgRef(
            x,
            shape,
            cells,
            cells.map((c) => c.length),
          ),
          1e-13,
        );
        const dy = randomArray(Float64Array, y.length, seed + 1);
        expectSameDot(y, dy, x, adaptiveAvgPool2dBackward(dy, shape, out), 1e-12);
      }),
      { numRuns: 300 },
    );
  });

  it('max matches the floor/ceil windows and its backward is the adjoint', () => {
    fc.assert(
      fc.property(adaptiveArb, ({ xs, out, seed }) => {
        const shape = xs as Shape4;
        const x = randomArray(Float64Array, size(shape), seed);
        const { y, argmax } = adaptiveMaxPool2dForward(x, shape, out);
        const want = maxRef(x, shape, adaptiveWindows(shape, out));
        expect([...y]).toEqual(want.y);
        expect([...argmax]).toEqual(want.arg);
        const dy = randomArray(Float64Array, y.length, seed + 1);
        expectSameDot(y, dy, x, adaptiveMaxPool2dBackward(dy, argmax, shape), 1e-12);
      }),
      { numRuns: 300 },
    );
  });
});
