import type { FloatArray } from '../../../dtype.js';
import { gemm } from './gemm.js';
import type { Window2d } from './geometry.js';
import { scratch } from './scratch.js';

/**
 * Stride-1 convs through "wide" patch matrices: the images are copied, padded, into a
 * scratch buffer (Hp x Wp planes), and the product is computed on an outH x Wp output
 * grid instead of outH x outW. Then every patch row (c, i, j) of an image is one
 * contiguous run of the padded image, starting at c * Hp * Wp + i * dh * Wp + j * dw,
 * so im2col is one native `copyWithin` per row and image, where the exact patch matrix
 * needs a copy (or JS loop) per output row and zeros at the edges. The Wp - outW
 * columns on the right of each output row are garbage (they wrap into the next row)
 * and are dropped (forward) or multiplied by zero (filter gradient). Worth it while
 * Wp / outW is small: the GEMM's columns grow by that factor. Measured on LeNet-5's
 * conv2 (6 -> 16, 5 x 5 on 14 x 14, unpadded): forward 1.13-1.2x and filter gradient
 * 1.1-1.16x faster than the exact patch matrix. Its input gradient (GEMM into a wide
 * patch matrix, then one add per run into the padded planes) measured 0.8-0.87x, so the
 * input gradient keeps the exact path. One caveat of the filter gradient: a garbage
 * column times a zero of dy is NaN where the image holds an Inf or NaN, so such inputs
 * can spread NaN to more filter entries than the exact sum would (finite inputs agree).
 */
export interface WideConv {
  win: Window2d;
  /** top and bottom, left and right padding */
  padH: readonly [number, number];
  padW: readonly [number, number];
  n: number;
  groups: number;
  /** channels per group, output channels per group, (C / groups) * Kh * Kw */
  cg: number;
  og: number;
  ckk: number;
  /** images per GEMM */
  perGemm: number;
}

/** Garbage columns may cost at most this fraction of the real ones. */
const MAX_WIDENING = 1.5;
/** GEMMs narrower than this get several images side by side */
const MIN_COLUMNS = 256;

/** The wide plan for a stride-1 conv, or null where it does not pay (or the patch matrix exceeds `colBudget`). */
export function planWide(
  win: Window2d,
  padH: readonly [number, number],
  padW: readonly [number, number],
  n: number,
  groups: number,
  og: number,
  colBudget: number,
): WideConv | null {
  if (win.strideH !== 1 || win.strideW !== 1 || win.outH <= 0 || win.outW <= 0) return null;
  if (padH[0] < 0 || padH[1] < 0 || padW[0] < 0 || padW[1] < 0) return null;
  const wp = win.width + padW[0] + padW[1];
  if (wp > MAX_WIDENING * win.outW) return null;
  const ckk = win.channels * win.kernelH * win.kernelW;
  const perImage = win.outH * wp;
  if (ckk * perImage > colBudget) return null;
  const perGemm = Math.max(
    1,
    Math.min(n, Math.ceil(MIN_COLUMNS / perImage), Math.floor(colBudget / (ckk * perImage))),
  );
  return { win, padH, padW, n, groups, cg: win.channels, og, ckk, perGemm };
}

interface Sizes {
  hp: number;
  wp: number;
  plane: number;
  /** columns per image: outH * Wp */
  perImage: number;
}

function sizes(p: WideConv): Sizes {
  const hp = p.win.height + p.padH[0] + p.padH[1];
  const wp = p.win.width + p.padW[0] + p.padW[1];
  return { hp, wp, plane: hp * wp, perImage: p.win.outH * wp };
}

/**
 * The wide patch matrix of images n0..n0+nb, group g, in scratch: the buffer and where
 * the matrix (ckk x nb * perImage, row stride nb * perImage) starts in it.
 */
function widePatches(
  p: WideConv,
  s: Sizes,
  x: FloatArray,
  n0: number,
  nb: number,
  g: number,
): { col: FloatArray; colAt: number } {
  const { win, cg } = p;
  const { height: h, width: w } = win;
  const imageSize = p.groups * cg * h * w;
  const groupPadded = cg * s.plane;
  // the last run of the last image reads (kw - 1) * dw past its padded planes
  const slack = (win.kernelW - 1) * win.dilationW;
  const padded = nb * groupPadded + slack;
  const raw = nb * cg * h * w;
  const cols = nb * s.perImage;
  const colAt = padded;
  const rawAt = padded + p.ckk * cols;
  const buf = scratch(x, 'col', rawAt + raw);
  const [pt] = p.padH;
  const [pl] = p.padW;
  const unpadded = s.wp === w && s.hp === h;
  // the images, then (when padded) row by row into zeroed padded planes, all native copies
  for (let b = 0; b < nb; b++) {
    const from = (n0 + b) * imageSize + g * cg * h * w;
    buf.set(x.subarray(from, from + cg * h * w), unpadded ? b * groupPadded : rawAt + b * cg * h * w);
  }
  if (!unpadded) {
    buf.fill(0, 0, nb * groupPadded);
    for (let q = 0; q < nb * cg; q++) {
      for (let r = 0; r < h; r++) {
        const src = rawAt + (q * h + r) * w;
        buf.copyWithin(q * s.plane + (r + pt) * s.wp + pl, src, src + w);
      }
    }
  }
  buf.fill(0, nb * groupPadded, padded);
  let row = colAt;
  for (let c = 0; c < cg; c++) {
    for (let i = 0; i < win.kernelH; i++) {
      for (let j = 0; j < win.kernelW; j++, row += cols) {
        const tap = c * s.plane + i * win.dilationH * s.wp + j * win.dilationW;
        for (let b = 0; b < nb; b++) {
          const src = b * groupPadded + tap;
          buf.copyWithin(row + b * s.perImage, src, src + s.perImage);
        }
      }
    }
  }
  return { col: buf, colAt };
}

/** y (+)= conv(x, w) for a wide plan; `add` when y already holds the bias. */
export function wideForward(p: WideConv, x: FloatArray, w: FloatArray, y: FloatArray, add: boolean): void {
  const s = sizes(p);
  const { win, og, ckk, groups } = p;
  const o = og * groups;
  const spatial = win.outH * win.outW;
  for (let n0 = 0; n0 < p.n; n0 += p.perGemm) {
    const nb = Math.min(p.perGemm, p.n - n0);
    const cols = nb * s.perImage;
    for (let g = 0; g < groups; g++) {
      const { col, colAt } = widePatches(p, s, x, n0, nb, g);
      const tmp = scratch(x, 'rows', og * cols);
      gemm({
        transA: false,
        transB: false,
        m: og,
        n: cols,
        k: ckk,
        a: w,
        aOffset: g * og * ckk,
        lda: ckk,
        b: col,
        bOffset: colAt,
        ldb: cols,
        c: tmp,
        cOffset: 0,
        ldc: cols,
        accumulate: false,
      });
      // keep the first outW of every Wp columns
      for (let b = 0; b < nb; b++) {
        for (let r = 0; r < og; r++) {
          const dst = ((n0 + b) * o + g * og + r) * spatial;
          const src = r * cols + b * s.perImage;
          for (let oh = 0; oh < win.outH; oh++) {
            const d = dst + oh * win.outW;
            const t = src + oh * s.wp;
            if (add) for (let q = 0; q < win.outW; q++) y[d + q] += tmp[t + q];
            else for (let q = 0; q < win.outW; q++) y[d + q] = tmp[t + q];
          }
        }
      }
    }
  }
}

/** Group g's rows of dy for images n0..n0+nb on the wide grid (og x nb * perImage, zero in the garbage columns), in scratch. */
function wideRows(p: WideConv, s: Sizes, dy: FloatArray, n0: number, nb: number, g: number): FloatArray {
  const { win, og } = p;
  const o = og * p.groups;
  const spatial = win.outH * win.outW;
  const cols = nb * s.perImage;
  const wide = scratch(dy, 'rows', og * cols);
  wide.fill(0, 0, og * cols);
  for (let b = 0; b < nb; b++) {
    for (let r = 0; r < og; r++) {
      const src = ((n0 + b) * o + g * og + r) * spatial;
      const dst = r * cols + b * s.perImage;
      for (let oh = 0; oh < win.outH; oh++) {
        const d = dst + oh * s.wp;
        const t = src + oh * win.outW;
        for (let q = 0; q < win.outW; q++) wide[d + q] = dy[t + q];
      }
    }
  }
  return wide;
}

/** dw = the filter gradient of a wide plan, summed over the batch (dw is overwritten). */
export function wideBackwardFilter(p: WideConv, x: FloatArray, dy: FloatArray, dw: FloatArray): void {
  const s = sizes(p);
  const { og, ckk, groups } = p;
  for (let n0 = 0; n0 < p.n; n0 += p.perGemm) {
    const nb = Math.min(p.perGemm, p.n - n0);
    const cols = nb * s.perImage;
    for (let g = 0; g < groups; g++) {
      const wide = wideRows(p, s, dy, n0, nb, g);
      const { col, colAt } = widePatches(p, s, x, n0, nb, g);
      gemm({
        transA: false,
        transB: true,
        m: og,
        n: ckk,
        k: cols,
        a: wide,
        aOffset: 0,
        lda: cols,
        b: col,
        bOffset: colAt,
        ldb: cols,
        c: dw,
        cOffset: g * og * ckk,
        ldc: ckk,
        accumulate: n0 > 0,
      });
    }
  }
}
