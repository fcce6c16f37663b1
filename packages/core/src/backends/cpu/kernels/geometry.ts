import type { FloatArray } from '../../../dtype.js';

/** [N, C, H, W] for activations, [O, C / groups, Kh, Kw] for conv weights. */
export type Shape4 = readonly [number, number, number, number];

/** [vertical, horizontal] (both sides alike) or [top, bottom, left, right]. */
export type Padding2d = readonly [number, number] | readonly [number, number, number, number];

/** [top, bottom, left, right] from either padding form. */
export function padding4(p: Padding2d): [number, number, number, number] {
  return p.length === 2 ? [p[0], p[0], p[1], p[1]] : [p[0], p[1], p[2], p[3]];
}

/** Output length of a sliding window, PyTorch's floor formula. */
export function windowCount(
  size: number,
  kernel: number,
  stride: number,
  padBefore: number,
  padAfter: number,
  dilation: number,
): number {
  return Math.floor((size + padBefore + padAfter - dilation * (kernel - 1) - 1) / stride) + 1;
}

/**
 * Where a sliding 2-d window reads a C x H x W image: everything im2col and col2im need.
 * Output position (oh, ow) with kernel tap (i, j) reads input row
 * oh * strideH - padTop + i * dilationH and column ow * strideW - padLeft + j * dilationW;
 * reads outside the image are zero (padding).
 */
export interface Window2d {
  channels: number;
  height: number;
  width: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  dilationH: number;
  dilationW: number;
  outH: number;
  outW: number;
}

export interface WindowParams {
  kernel: readonly [number, number];
  stride: readonly [number, number];
  padding: Padding2d;
  dilation?: readonly [number, number];
}

export function window2d(channels: number, height: number, width: number, p: WindowParams): Window2d {
  const [pt, pb, pl, pr] = padding4(p.padding);
  const [dh, dw] = p.dilation ?? [1, 1];
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.stride;
  return {
    channels,
    height,
    width,
    kernelH: kh,
    kernelW: kw,
    strideH: sh,
    strideW: sw,
    padTop: pt,
    padLeft: pl,
    dilationH: dh,
    dilationW: dw,
    outH: windowCount(height, kh, sh, pt, pb, dh),
    outW: windowCount(width, kw, sw, pl, pr, dw),
  };
}

/** A zeroed array of the same element type as `like`. */
export function allocLike(like: FloatArray, size: number): FloatArray {
  return like instanceof Float64Array ? new Float64Array(size) : new Float32Array(size);
}

/**
 * The outputs o in [0, count) whose input index o * stride + offset lies in [0, size),
 * as [lo, hi) (lo = hi when none): loops over a window row or column visit only those
 * instead of testing every element.
 */
export function insideSpan(offset: number, stride: number, count: number, size: number): [number, number] {
  const lo = Math.min(count, Math.max(0, Math.ceil(-offset / stride)));
  const hi = Math.max(lo, Math.min(count, Math.floor((size - 1 - offset) / stride) + 1));
  return [lo, hi];
}
