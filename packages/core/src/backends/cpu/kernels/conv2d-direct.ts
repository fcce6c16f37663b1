import type { FloatArray } from '../../../dtype.js';
import { insideSpan, type Window2d } from './geometry.js';

/**
 * Direct loops for convolutions whose groups have fewer than 4 output channels each
 * (depthwise and channel-multiplier convs, the thin cores of factorized layers): a GEMM
 * needs 4 rows to fill its micro-tile and would run one thin product plus an im2col
 * per group and image, where these loops read each input once per tap.
 *
 * Shapes as in conv2d.ts: x [N, C, H, W], w [O, C / groups, Kh, Kw], y [N, O, Ho, Wo];
 * `win` is the window over one group's channels. Each kernel tap (i, j) is one
 * multiply-add over the output rows [ohLo, ohHi) and columns [lo, hi) that read inside
 * the image (insideSpan), so padding costs nothing. The three loop nests are written out
 * rather than shared through a callback, which V8 would not inline.
 */
export interface DirectConv {
  win: Window2d;
  n: number;
  groups: number;
  /** input and output channels per group */
  cg: number;
  og: number;
}

/** y += conv(x, w). */
export function directForward(
  { win, n, groups, cg, og }: DirectConv,
  x: FloatArray,
  w: FloatArray,
  y: FloatArray,
): void {
  const { height: H, width: W, kernelH: kh, kernelW: kw, strideH: sh, strideW: sw, outH, outW } = win;
  const o = groups * og;
  const t = taps(win);
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const yPlane = (b * o + oc) * outH * outW;
      const c0 = b * groups * cg + Math.floor(oc / og) * cg;
      for (let ci = 0; ci < cg; ci++) {
        const xPlane = (c0 + ci) * H * W;
        for (let i = 0; i < kh; i++) {
          const offH = i * win.dilationH - win.padTop;
          const ohLo = t.ohLo[i];
          const ohHi = t.ohHi[i];
          for (let j = 0; j < kw; j++) {
            const offW = j * win.dilationW - win.padLeft;
            const lo = t.lo[j];
            const hi = t.hi[j];
            const wv = w[((oc * cg + ci) * kh + i) * kw + j];
            for (let oh = ohLo; oh < ohHi; oh++) {
              const yr = yPlane + oh * outW;
              const xr = xPlane + (oh * sh + offH) * W + offW;
              if (sw === 1) for (let ow = lo; ow < hi; ow++) y[yr + ow] += wv * x[xr + ow];
              else for (let ow = lo; ow < hi; ow++) y[yr + ow] += wv * x[xr + ow * sw];
            }
          }
        }
      }
    }
  }
}

/** dx += the adjoint of directForward in x. */
export function directBackwardInput(
  { win, n, groups, cg, og }: DirectConv,
  dy: FloatArray,
  w: FloatArray,
  dx: FloatArray,
): void {
  const { height: H, width: W, kernelH: kh, kernelW: kw, strideH: sh, strideW: sw, outH, outW } = win;
  const o = groups * og;
  const t = taps(win);
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const yPlane = (b * o + oc) * outH * outW;
      const c0 = b * groups * cg + Math.floor(oc / og) * cg;
      for (let ci = 0; ci < cg; ci++) {
        const xPlane = (c0 + ci) * H * W;
        for (let i = 0; i < kh; i++) {
          const offH = i * win.dilationH - win.padTop;
          const ohLo = t.ohLo[i];
          const ohHi = t.ohHi[i];
          for (let j = 0; j < kw; j++) {
            const offW = j * win.dilationW - win.padLeft;
            const lo = t.lo[j];
            const hi = t.hi[j];
            const wv = w[((oc * cg + ci) * kh + i) * kw + j];
            for (let oh = ohLo; oh < ohHi; oh++) {
              const yr = yPlane + oh * outW;
              const xr = xPlane + (oh * sh + offH) * W + offW;
              if (sw === 1) for (let ow = lo; ow < hi; ow++) dx[xr + ow] += wv * dy[yr + ow];
              else for (let ow = lo; ow < hi; ow++) dx[xr + ow * sw] += wv * dy[yr + ow];
            }
          }
        }
      }
    }
  }
}

/** dw += the adjoint of directForward in w, summed over the batch (each tap's sum in double). */
export function directBackwardFilter(
  { win, n, groups, cg, og }: DirectConv,
  x: FloatArray,
  dy: FloatArray,
  dw: FloatArray,
): void {
  const { height: H, width: W, kernelH: kh, kernelW: kw, strideH: sh, strideW: sw, outH, outW } = win;
  const o = groups * og;
  const t = taps(win);
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const yPlane = (b * o + oc) * outH * outW;
      const c0 = b * groups * cg + Math.floor(oc / og) * cg;
      for (let ci = 0; ci < cg; ci++) {
        const xPlane = (c0 + ci) * H * W;
        for (let i = 0; i < kh; i++) {
          const offH = i * win.dilationH - win.padTop;
          const ohLo = t.ohLo[i];
          const ohHi = t.ohHi[i];
          for (let j = 0; j < kw; j++) {
            const offW = j * win.dilationW - win.padLeft;
            const lo = t.lo[j];
            const hi = t.hi[j];
            let s = 0;
            for (let oh = ohLo; oh < ohHi; oh++) {
              const yr = yPlane + oh * outW;
              const xr = xPlane + (oh * sh + offH) * W + offW;
              if (sw === 1) for (let ow = lo; ow < hi; ow++) s += dy[yr + ow] * x[xr + ow];
              else for (let ow = lo; ow < hi; ow++) s += dy[yr + ow] * x[xr + ow * sw];
            }
            dw[((oc * cg + ci) * kh + i) * kw + j] += s;
          }
        }
      }
    }
  }
}

/** Per kernel row i the inside output rows [ohLo[i], ohHi[i]), per kernel column j the inside columns [lo[j], hi[j]). */
function taps(win: Window2d): { ohLo: Int32Array; ohHi: Int32Array; lo: Int32Array; hi: Int32Array } {
  const t = {
    ohLo: new Int32Array(win.kernelH),
    ohHi: new Int32Array(win.kernelH),
    lo: new Int32Array(win.kernelW),
    hi: new Int32Array(win.kernelW),
  };
  for (let i = 0; i < win.kernelH; i++) {
    [t.ohLo[i], t.ohHi[i]] = insideSpan(i * win.dilationH - win.padTop, win.strideH, win.outH, win.height);
  }
  for (let j = 0; j < win.kernelW; j++) {
    [t.lo[j], t.hi[j]] = insideSpan(j * win.dilationW - win.padLeft, win.strideW, win.outW, win.width);
  }
  return t;
}
