import type { FloatArray } from '../../../dtype.js';
import { allocLike, type Shape4, type Window2d, type WindowParams, window2d } from './geometry.js';

/**
 * 2-d pooling on NCHW arrays, each (n, c) plane on its own. Structurally a superset of
 * the engine's `Pool2dAttrs`; padding is [vertical, horizontal] or [top, bottom, left, right].
 * Max pooling treats padding as -Infinity; average pooling has no dilation (as PyTorch).
 */
export type Pool2dParams = WindowParams;

export interface AvgPool2dParams extends Pool2dParams {
  /** divide by the whole window, padding included (PyTorch's default, true) */
  countIncludePad: boolean;
}

/**
 * Max pooling output and, per output, the flat index ih * W + iw of the maximum inside
 * its own H x W plane (-1 for a window that sees only padding). Ties keep the first
 * maximum in row-major window order; a NaN wins, as in PyTorch.
 */
export interface MaxPoolResult {
  y: FloatArray;
  argmax: Int32Array;
}

/** [N, C, Ho, Wo] of a pooling window over x [N, C, H, W]. */
export function pool2dOutputShape(xShape: Shape4, p: Pool2dParams): [number, number, number, number] {
  const win = window2d(xShape[1], xShape[2], xShape[3], p);
  return [xShape[0], xShape[1], win.outH, win.outW];
}

export function maxPool2dForward(x: FloatArray, xShape: Shape4, p: Pool2dParams): MaxPoolResult {
  const win = window2d(1, xShape[2], xShape[3], p);
  const planes = xShape[0] * xShape[1];
  if (isPlain2x2(win)) return maxPool2x2(x, planes, win);
  const { height: H, width: W, outH, outW } = win;
  const y = allocLike(x, planes * outH * outW);
  const argmax = new Int32Array(planes * outH * outW);
  let q = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * win.strideH - win.padTop;
      const [iLo, iHi] = taps(h0, win.dilationH, win.kernelH, H);
      for (let ow = 0; ow < outW; ow++, q++) {
        const w0 = ow * win.strideW - win.padLeft;
        const [jLo, jHi] = taps(w0, win.dilationW, win.kernelW, W);
        let best = Number.NEGATIVE_INFINITY;
        let arg = -1;
        for (let i = iLo; i < iHi; i++) {
          const row = (h0 + i * win.dilationH) * W;
          for (let j = jLo; j < jHi; j++) {
            const at = row + w0 + j * win.dilationW;
            const v = x[base + at];
            if (v > best || Number.isNaN(v) || arg < 0) {
              best = v;
              arg = at;
            }
          }
        }
        y[q] = best;
        argmax[q] = arg;
      }
    }
  }
  return { y, argmax };
}

/** A 2x2 window with stride 2 and no dilation whose every window lies inside the image (no padding reached). */
function isPlain2x2(w: Window2d): boolean {
  return (
    w.kernelH === 2 &&
    w.kernelW === 2 &&
    w.strideH === 2 &&
    w.strideW === 2 &&
    w.padTop === 0 &&
    w.padLeft === 0 &&
    w.dilationH === 1 &&
    w.dilationW === 1 &&
    2 * w.outH <= w.height &&
    2 * w.outW <= w.width
  );
}

/** maxPool2dForward's loop written out for `isPlain2x2` windows, with the same tie and NaN rules. */
function maxPool2x2(x: FloatArray, planes: number, win: Window2d): MaxPoolResult {
  const { height: H, width: W, outH, outW } = win;
  const y = allocLike(x, planes * outH * outW);
  const argmax = new Int32Array(planes * outH * outW);
  let q = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < outH; oh++) {
      const top = 2 * oh * W;
      for (let ow = 0; ow < outW; ow++, q++) {
        // row-major window order: the first maximum wins a tie, a NaN wins over numbers
        const at = top + 2 * ow;
        let best = x[base + at];
        let arg = at;
        let v = x[base + at + 1];
        if (v > best || Number.isNaN(v)) {
          best = v;
          arg = at + 1;
        }
        v = x[base + at + W];
        if (v > best || Number.isNaN(v)) {
          best = v;
          arg = at + W;
        }
        v = x[base + at + W + 1];
        if (v > best || Number.isNaN(v)) {
          best = v;
          arg = at + W + 1;
        }
        y[q] = best;
        argmax[q] = arg;
      }
    }
  }
  return { y, argmax };
}

/**
 * dx: each dy added at its argmax in its plane; the backward of both max pools. dy and
 * argmax are [N, C, Ho, Wo] (any Ho * Wo), dx is [N, C, H, W].
 */
export function maxPool2dBackward(dy: FloatArray, argmax: Int32Array, xShape: Shape4): FloatArray {
  const planes = xShape[0] * xShape[1];
  const plane = xShape[2] * xShape[3];
  const perPlane = dy.length / planes;
  const dx = allocLike(dy, planes * plane);
  for (let p = 0, q = 0; p < planes; p++) {
    const base = p * plane;
    for (const end = q + perPlane; q < end; q++) {
      const at = argmax[q];
      if (at >= 0) dx[base + at] += dy[q];
    }
  }
  return dx;
}

export function avgPool2dForward(x: FloatArray, xShape: Shape4, p: AvgPool2dParams): FloatArray {
  const win = avgWindow(xShape, p);
  const planes = xShape[0] * xShape[1];
  const { height: H, width: W, outH, outW } = win;
  const y = allocLike(x, planes * outH * outW);
  let q = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < outH; oh++) {
      const [hs, he, hn] = avgSpan(oh, win.strideH, win.padTop, win.kernelH, H, p.countIncludePad);
      for (let ow = 0; ow < outW; ow++, q++) {
        const [ws, we, wn] = avgSpan(ow, win.strideW, win.padLeft, win.kernelW, W, p.countIncludePad);
        let s = 0;
        for (let ih = hs; ih < he; ih++) for (let iw = ws; iw < we; iw++) s += x[base + ih * W + iw];
        y[q] = s / (hn * wn);
      }
    }
  }
  return y;
}

/** dx: each dy spread evenly (by the forward's divisor) over its window. */
export function avgPool2dBackward(dy: FloatArray, xShape: Shape4, p: AvgPool2dParams): FloatArray {
  const win = avgWindow(xShape, p);
  const planes = xShape[0] * xShape[1];
  const { height: H, width: W, outH, outW } = win;
  const dx = allocLike(dy, planes * H * W);
  let q = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < outH; oh++) {
      const [hs, he, hn] = avgSpan(oh, win.strideH, win.padTop, win.kernelH, H, p.countIncludePad);
      for (let ow = 0; ow < outW; ow++, q++) {
        const [ws, we, wn] = avgSpan(ow, win.strideW, win.padLeft, win.kernelW, W, p.countIncludePad);
        const g = dy[q] / (hn * wn);
        for (let ih = hs; ih < he; ih++) for (let iw = ws; iw < we; iw++) dx[base + ih * W + iw] += g;
      }
    }
  }
  return dx;
}

/** PyTorch's adaptive windows: output i covers [floor(i * H / out), ceil((i + 1) * H / out)). */
export function adaptiveAvgPool2dForward(
  x: FloatArray,
  xShape: Shape4,
  outSize: readonly [number, number],
): FloatArray {
  const [, , H, W] = xShape;
  const [outH, outW] = outSize;
  const planes = xShape[0] * xShape[1];
  const y = allocLike(x, planes * outH * outW);
  let q = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < outH; oh++) {
      const [hs, he] = adaptiveSpan(oh, H, outH);
      for (let ow = 0; ow < outW; ow++, q++) {
        const [ws, we] = adaptiveSpan(ow, W, outW);
        let s = 0;
        for (let ih = hs; ih < he; ih++) for (let iw = ws; iw < we; iw++) s += x[base + ih * W + iw];
        y[q] = s / ((he - hs) * (we - ws));
      }
    }
  }
  return y;
}

export function adaptiveAvgPool2dBackward(
  dy: FloatArray,
  xShape: Shape4,
  outSize: readonly [number, number],
): FloatArray {
  const [, , H, W] = xShape;
  const [outH, outW] = outSize;
  const planes = xShape[0] * xShape[1];
  const dx = allocLike(dy, planes * H * W);
  let q = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < outH; oh++) {
      const [hs, he] = adaptiveSpan(oh, H, outH);
      for (let ow = 0; ow < outW; ow++, q++) {
        const [ws, we] = adaptiveSpan(ow, W, outW);
        const g = dy[q] / ((he - hs) * (we - ws));
        for (let ih = hs; ih < he; ih++) for (let iw = ws; iw < we; iw++) dx[base + ih * W + iw] += g;
      }
    }
  }
  return dx;
}

/** Adaptive max pooling; argmax as in maxPool2dForward, so maxPool2dBackward is its backward. */
export function adaptiveMaxPool2dForward(
  x: FloatArray,
  xShape: Shape4,
  outSize: readonly [number, number],
): MaxPoolResult {
  const [, , H, W] = xShape;
  const [outH, outW] = outSize;
  const planes = xShape[0] * xShape[1];
  const y = allocLike(x, planes * outH * outW);
  const argmax = new Int32Array(planes * outH * outW);
  let q = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < outH; oh++) {
      const [hs, he] = adaptiveSpan(oh, H, outH);
      for (let ow = 0; ow < outW; ow++, q++) {
        const [ws, we] = adaptiveSpan(ow, W, outW);
        let best = Number.NEGATIVE_INFINITY;
        let arg = -1;
        for (let ih = hs; ih < he; ih++) {
          for (let iw = ws; iw < we; iw++) {
            const v = x[base + ih * W + iw];
            if (v > best || Number.isNaN(v) || arg < 0) {
              best = v;
              arg = ih * W + iw;
            }
          }
        }
        y[q] = best;
        argmax[q] = arg;
      }
    }
  }
  return { y, argmax };
}

export const adaptiveMaxPool2dBackward = maxPool2dBackward;

/** Taps t in [lo, hi) of a window starting at `start` with the given dilation that land inside [0, size). */
function taps(start: number, dilation: number, kernel: number, size: number): [number, number] {
  const lo = Math.min(kernel, Math.max(0, Math.ceil(-start / dilation)));
  const hi = Math.max(lo, Math.min(kernel, Math.floor((size - 1 - start) / dilation) + 1));
  return [lo, hi];
}

function avgWindow(xShape: Shape4, p: AvgPool2dParams): Window2d {
  const win = window2d(1, xShape[2], xShape[3], p);
  if (win.dilationH !== 1 || win.dilationW !== 1)
    throw new RangeError('avgPool2d: dilation is not supported');
  return win;
}

/**
 * Clipped input span [start, end) of average-pool output i along one axis, and the
 * divisor's factor for that axis: the window length (the floor output formula keeps
 * every window inside the padded input) or only its in-image part.
 */
function avgSpan(
  i: number,
  stride: number,
  pad: number,
  kernel: number,
  size: number,
  countPad: boolean,
): [number, number, number] {
  const start = i * stride - pad;
  const s = Math.max(0, start);
  const e = Math.min(size, start + kernel);
  return [s, e, countPad ? kernel : e - s];
}

function adaptiveSpan(i: number, size: number, out: number): [number, number] {
  return [Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)];
}
