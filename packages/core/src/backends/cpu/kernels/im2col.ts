import type { FloatArray } from '../../../dtype.js';
import type { Window2d } from './geometry.js';

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

/** col = the patches of x (zeros where a window reads padding). */
export function im2col(args: ColArgs): void {
  walk(args, false);
}

/** x += the adjoint of im2col applied to col (each patch entry added back where it was read). */
export function col2im(args: ColArgs): void {
  walk(args, true);
}

/**
 * Both directions share one walk over (image, patch row, output row). Along an output
 * row the input column is ow * strideW + offW, so the in-image outputs are one span
 * [lo, hi), computed once per kernel column instead of tested per element.
 */
function walk(
  { win, x, xOffset, xImageStride, images, col, colOffset, ldCol }: ColArgs,
  adjoint: boolean,
): void {
  const { channels, height: H, width: W, kernelH, kernelW, strideH: sh, strideW: sw, padTop, padLeft } = win;
  const { dilationH: dh, dilationW: dw, outH, outW } = win;
  const plane = H * W;
  const spatial = outH * outW;
  for (let b = 0; b < images; b++) {
    for (let c = 0; c < channels; c++) {
      const xc = xOffset + b * xImageStride + c * plane;
      for (let i = 0; i < kernelH; i++) {
        for (let j = 0; j < kernelW; j++) {
          const offW = j * dw - padLeft;
          const lo = Math.min(outW, Math.max(0, Math.ceil(-offW / sw)));
          const hi = Math.max(lo, Math.min(outW, Math.floor((W - 1 - offW) / sw) + 1));
          let dst = colOffset + ((c * kernelH + i) * kernelW + j) * ldCol + b * spatial;
          for (let oh = 0; oh < outH; oh++, dst += outW) {
            const ih = oh * sh - padTop + i * dh;
            if (ih < 0 || ih >= H) {
              if (!adjoint) col.fill(0, dst, dst + outW);
              continue;
            }
            const src = xc + ih * W + offW;
            if (adjoint) {
              for (let ow = lo; ow < hi; ow++) x[src + ow * sw] += col[dst + ow];
            } else {
              // The fills are usually empty; a call per row would cost more than the copy.
              if (lo > 0) col.fill(0, dst, dst + lo);
              if (sw === 1) for (let ow = lo; ow < hi; ow++) col[dst + ow] = x[src + ow];
              else for (let ow = lo; ow < hi; ow++) col[dst + ow] = x[src + ow * sw];
              if (hi < outW) col.fill(0, dst + hi, dst + outW);
            }
          }
        }
      }
    }
  }
}
