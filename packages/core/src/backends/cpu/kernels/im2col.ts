import type { FloatArray } from '../../../dtype.js';
import { insideSpan, type Window2d } from './geometry.js';

/**
 * Images and a patch matrix for im2col / col2im.
 *
 * Image b (b < images) is C x H x W at `x[xOffset + b * xImageStride ...]`, NCHW order.
 * The patch matrix has C * Kh * Kw rows, row index (c, i, j) row-major (torch Unfold's
 * order, so a conv weight [O, C, Kh, Kw] is already the O x (C * Kh * Kw) left factor),
 * and column index b * (outH * outW) + oh * outW + ow; row r starts at
 * `col[colOffset + r * ldCol]`, ldCol >= images * outH * outW.
 *
 * Groups: the channels of one group are a contiguous block of an NCHW image, so a group
 * is a call with `xOffset` at its first channel and `win.channels` = C / groups.
 *
 * im2col is fastest when `x` and `col` are the same array (the images copied in ahead of
 * the patch matrix, regions not overlapping): its copies are then `copyWithin`, native
 * memmoves, where other arrays need a JS loop per element (about 10x slower in V8).
 */
export interface ColArgs {
  win: Window2d;
  x: FloatArray;
  xOffset: number;
  xImageStride: number;
  images: number;
  col: FloatArray;
  colOffset: number;
  ldCol: number;
}

/** Below this many elements a JS loop copies faster than a `copyWithin` call. */
const NATIVE_COPY_MIN = 12;

/** Whether im2col over `win` copies natively when x and col share an array (else it loops either way). */
export function sharedArrayHelps(win: Window2d): boolean {
  return win.strideW === 1 && (sameWidthBand(win) || win.outW >= NATIVE_COPY_MIN);
}

/** Stride 1 and as many output columns as input columns: output row oh + 1 reads the input row after oh's. */
function sameWidthBand(win: Window2d): boolean {
  return win.strideH === 1 && win.strideW === 1 && win.outW === win.width;
}

/*
 * Both directions walk the patch matrix in storage order: row (c, i, j), then image, then
 * output row, so col is read or written sequentially. For one kernel tap the output rows
 * and columns that read inside the image are one span each ([ohLo, ohHi) and [lo, hi),
 * from insideSpan); everything else reads padding, so no element is tested on its own.
 */

/** col = the patches of x (zeros where a window reads padding). */
export function im2col({ win, x, xOffset, xImageStride, images, col, colOffset, ldCol }: ColArgs): void {
  const { channels, height: H, width: W, kernelH, kernelW, strideH: sh, strideW: sw } = win;
  const { dilationH: dh, dilationW: dw, outH, outW } = win;
  const plane = H * W;
  const spatial = outH * outW;
  const native = x === col;
  // a tap's whole band of inside rows is then one run of the image
  const band = native && sameWidthBand(win);
  let row = colOffset;
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < kernelH; i++) {
      const offH = i * dh - win.padTop;
      const [ohLo, ohHi] = insideSpan(offH, sh, outH, H);
      for (let j = 0; j < kernelW; j++, row += ldCol) {
        const offW = j * dw - win.padLeft;
        const [lo, hi] = insideSpan(offW, sw, outW, W);
        const edges = lo > 0 || hi < outW;
        for (let b = 0; b < images; b++) {
          const start = row + b * spatial;
          const xc = xOffset + b * xImageStride + c * plane + offW;
          zero(col, start, start + ohLo * outW);
          zero(col, start + ohHi * outW, start + spatial);
          if (ohLo >= ohHi) continue;
          if (band) {
            // one run from the first inside element to the last; what it copies into
            // the left and right padding columns is then overwritten with zeros
            const first = start + ohLo * outW + lo;
            const src = xc + (ohLo + offH) * W + lo;
            col.copyWithin(first, src, src + (ohHi - 1 - ohLo) * W + hi - lo);
            if (edges) {
              for (let dst = start + ohLo * outW; dst < start + ohHi * outW; dst += outW) {
                for (let q = 0; q < lo; q++) col[dst + q] = 0;
                for (let q = hi; q < outW; q++) col[dst + q] = 0;
              }
            }
            continue;
          }
          for (let oh = ohLo, dst = start + ohLo * outW; oh < ohHi; oh++, dst += outW) {
            const src = xc + (oh * sh + offH) * W;
            for (let q = 0; q < lo; q++) col[dst + q] = 0;
            if (sw === 1 && native && hi - lo >= NATIVE_COPY_MIN)
              col.copyWithin(dst + lo, src + lo, src + hi);
            else if (sw === 1) for (let ow = lo; ow < hi; ow++) col[dst + ow] = x[src + ow];
            else for (let ow = lo; ow < hi; ow++) col[dst + ow] = x[src + ow * sw];
            for (let q = hi; q < outW; q++) col[dst + q] = 0;
          }
        }
      }
    }
  }
}

/** x += the adjoint of im2col applied to col (each patch entry added back where it was read). */
export function col2im({ win, x, xOffset, xImageStride, images, col, colOffset, ldCol }: ColArgs): void {
  const { channels, height: H, width: W, kernelH, kernelW, strideH: sh, strideW: sw } = win;
  const { dilationH: dh, dilationW: dw, outH, outW } = win;
  const plane = H * W;
  const spatial = outH * outW;
  let row = colOffset;
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < kernelH; i++) {
      const offH = i * dh - win.padTop;
      const [ohLo, ohHi] = insideSpan(offH, sh, outH, H);
      for (let j = 0; j < kernelW; j++, row += ldCol) {
        const offW = j * dw - win.padLeft;
        const [lo, hi] = insideSpan(offW, sw, outW, W);
        for (let b = 0; b < images; b++) {
          const xc = xOffset + b * xImageStride + c * plane + offW;
          for (let oh = ohLo, src = row + b * spatial + ohLo * outW; oh < ohHi; oh++, src += outW) {
            const dst = xc + (oh * sh + offH) * W;
            if (sw === 1) for (let ow = lo; ow < hi; ow++) x[dst + ow] += col[src + ow];
            else for (let ow = lo; ow < hi; ow++) x[dst + ow * sw] += col[src + ow];
          }
        }
      }
    }
  }
}

/** Zeros col[from, to): `fill` for long runs, a loop for the short ones it would cost more on. */
function zero(col: FloatArray, from: number, to: number): void {
  if (to - from >= NATIVE_COPY_MIN) col.fill(0, from, to);
  else for (let q = from; q < to; q++) col[q] = 0;
}
