import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Window2d, window2d } from '../../../src/backends/cpu/kernels/geometry.js';
import { col2im, im2col } from '../../../src/backends/cpu/kernels/im2col.js';
import { expectSameDot, randomArray } from './helpers.js';

/*
 * im2col only copies, so it must equal the reference exactly; the adjoint identity
 * <im2col(x), y> = <x, col2im(y)> is checked in float64 to 1e-12 relative to the sum
 * of absolute products (both sides add the same products in different orders).
 */

interface Geometry {
  images: number;
  channels: number;
  height: number;
  width: number;
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number, number, number];
  dilation: [number, number];
  /** extra columns per patch-matrix row and elements between images */
  ldPad: number;
  imagePad: number;
  seed: number;
}

const geometryArb: fc.Arbitrary<Geometry> = fc
  .record({
    images: fc.integer({ min: 1, max: 3 }),
    channels: fc.integer({ min: 1, max: 3 }),
    height: fc.integer({ min: 1, max: 9 }),
    width: fc.integer({ min: 1, max: 9 }),
    kernel: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
    stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    padding: fc.tuple(...[0, 1, 2, 3].map(() => fc.integer({ min: 0, max: 3 }))) as fc.Arbitrary<
      [number, number, number, number]
    >,
    dilation: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    ldPad: fc.integer({ min: 0, max: 4 }),
    imagePad: fc.integer({ min: 0, max: 4 }),
    seed: fc.integer({ min: 0, max: 1 << 30 }),
  })
  .filter((g) => {
    const w = window2d(g.channels, g.height, g.width, g);
    return w.outH >= 1 && w.outW >= 1;
  });

function setup(g: Geometry) {
  const win = window2d(g.channels, g.height, g.width, g);
  const imageStride = g.channels * g.height * g.width + g.imagePad;
  const spatial = win.outH * win.outW;
  const ldCol = g.images * spatial + g.ldPad;
  const rows = g.channels * g.kernel[0] * g.kernel[1];
  return {
    win,
    imageStride,
    spatial,
    ldCol,
    rows,
    xSize: 2 + g.images * imageStride,
    colSize: 1 + rows * ldCol,
  };
}

/** Torch Unfold by its definition. */
function unfoldRef(
  g: Geometry,
  win: Window2d,
  x: Float64Array,
  ldCol: number,
  imageStride: number,
  xOffset: number,
  colOffset: number,
  colSize: number,
): Float64Array {
  const col = new Float64Array(colSize).fill(Number.NaN);
  const [kh, kw] = g.kernel;
  for (let b = 0; b < g.images; b++) {
    for (let c = 0; c < g.channels; c++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          for (let oh = 0; oh < win.outH; oh++) {
            for (let ow = 0; ow < win.outW; ow++) {
              const ih = oh * g.stride[0] - g.padding[0] + i * g.dilation[0];
              const iw = ow * g.stride[1] - g.padding[2] + j * g.dilation[1];
              const inside = ih >= 0 && ih < g.height && iw >= 0 && iw < g.width;
              const row = (c * kh + i) * kw + j;
              const column = b * win.outH * win.outW + oh * win.outW + ow;
              col[colOffset + row * ldCol + column] = inside
                ? x[xOffset + b * imageStride + (c * g.height + ih) * g.width + iw]
                : 0;
            }
          }
        }
      }
    }
  }
  return col;
}

describe('im2col', () => {
  it('equals the Unfold definition, with offsets, leading dimensions and image strides', () => {
    fc.assert(
      fc.property(geometryArb, (g) => {
        const s = setup(g);
        const x = randomArray(Float64Array, s.xSize, g.seed) as Float64Array;
        const col = new Float64Array(s.colSize).fill(Number.NaN);
        im2col({
          win: s.win,
          x,
          xOffset: 2,
          xImageStride: s.imageStride,
          images: g.images,
          col,
          colOffset: 1,
          ldCol: s.ldCol,
        });
        const want = unfoldRef(g, s.win, x, s.ldCol, s.imageStride, 2, 1, s.colSize);
        // NaN marks entries that must stay untouched (toEqual treats NaN as equal to NaN)
        expect(col).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it('equals the Unfold definition when the images and the patch matrix share one array (native copies), also for stride-1 "same" windows (one copy per tap)', () => {
    const sameArb = fc.tuple(geometryArb, fc.nat({ max: 8 }), fc.nat({ max: 8 })).map(([g, top, left]) => {
      const extH = g.dilation[0] * (g.kernel[0] - 1);
      const extW = g.dilation[1] * (g.kernel[1] - 1);
      const [pt, pl] = [Math.min(top, extH), Math.min(left, extW)];
      return { ...g, stride: [1, 1], padding: [pt, extH - pt, pl, extW - pl] } as Geometry;
    });
    fc.assert(
      fc.property(fc.oneof(geometryArb, sameArb), (g) => {
        const s = setup(g);
        // images at 2.., the patch matrix right after them
        const shared = new Float64Array(s.xSize + s.colSize).fill(Number.NaN);
        const x = randomArray(Float64Array, s.xSize, g.seed) as Float64Array;
        shared.set(x);
        im2col({
          win: s.win,
          x: shared,
          xOffset: 2,
          xImageStride: s.imageStride,
          images: g.images,
          col: shared,
          colOffset: s.xSize + 1,
          ldCol: s.ldCol,
        });
        const want = unfoldRef(g, s.win, x, s.ldCol, s.imageStride, 2, 1, s.colSize);
        expect(shared.subarray(s.xSize)).toEqual(want);
        expect(shared.subarray(0, s.xSize)).toEqual(x);
      }),
      { numRuns: 300 },
    );
  });

  it('col2im is the adjoint of im2col and only adds', () => {
    fc.assert(
      fc.property(geometryArb, (g) => {
        const s = setup(g);
        const x = randomArray(Float64Array, s.xSize, g.seed);
        const y = randomArray(Float64Array, s.colSize, g.seed + 1);
        const col = new Float64Array(s.colSize);
        im2col({
          win: s.win,
          x,
          xOffset: 2,
          xImageStride: s.imageStride,
          images: g.images,
          col,
          colOffset: 1,
          ldCol: s.ldCol,
        });
        const base = randomArray(Float64Array, s.xSize, g.seed + 2);
        const back = base.slice();
        col2im({
          win: s.win,
          x: back,
          xOffset: 2,
          xImageStride: s.imageStride,
          images: g.images,
          col: y,
          colOffset: 1,
          ldCol: s.ldCol,
        });
        for (let i = 0; i < back.length; i++) back[i] -= base[i];
        // entries of y outside the written region of col meet zeros on the left side
        expectSameDot(col, y, x, back, 1e-12);
      }),
      { numRuns: 300 },
    );
  });

  it('handles float32 images', () => {
    const g: Geometry = {
      images: 2,
      channels: 2,
      height: 5,
      width: 4,
      kernel: [3, 2],
      stride: [2, 1],
      padding: [1, 0, 2, 1],
      dilation: [1, 2],
      ldPad: 1,
      imagePad: 0,
      seed: 3,
    };
    const s = setup(g);
    const x64 = randomArray(Float64Array, s.xSize, g.seed) as Float64Array;
    const x32 = Float32Array.from(x64);
    const col = new Float32Array(s.colSize).fill(Number.NaN);
    im2col({
      win: s.win,
      x: x32,
      xOffset: 2,
      xImageStride: s.imageStride,
      images: 2,
      col,
      colOffset: 1,
      ldCol: s.ldCol,
    });
    const want = unfoldRef(g, s.win, Float64Array.from(x32), s.ldCol, s.imageStride, 2, 1, s.colSize);
    expect(Float64Array.from(col)).toEqual(want);
  });
});
