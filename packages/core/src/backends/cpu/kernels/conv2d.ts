import type { FloatArray } from '../../../dtype.js';
import {
  type DirectConv,
  directBackwardFilter,
  directBackwardInput,
  directForward,
} from './conv2d-direct.js';
import { planWide, type WideConv, wideBackwardFilter, wideForward } from './conv2d-wide.js';
import { gemm } from './gemm.js';
import { allocLike, type Padding2d, padding4, type Shape4, type Window2d, window2d } from './geometry.js';
import { type ColArgs, col2im, im2col, sharedArrayHelps } from './im2col.js';
import { scratch } from './scratch.js';

/**
 * 2-d convolution (cross-correlation, as PyTorch) on NCHW arrays, lowered to
 * im2col + GEMM per group: y_g (O/g x spatial) = w_g (O/g x C/g*Kh*Kw) . col_g.
 * 1 x 1 convs use the image itself as col_g; the input gradient of a stride-1 "same"
 * conv is a conv with the flipped kernel (transposedConv); the forward and filter
 * gradient of other stride-1 convs run on a wide output grid whose patch rows are
 * contiguous runs of the padded image (conv2d-wide.ts); groups with fewer than 4
 * output channels (depthwise and the like) run direct loops (conv2d-direct.ts).
 *
 * What costs, measured on ResNet-8 and LeNet-5 shapes: the GEMM's packing of col (a JS
 * pass over it) and its micro-kernel, then im2col; so im2col copies natively where it
 * can, and every path keeps the GEMM's inner dimension as long as the shapes allow.
 * The engine's `Conv2dAttrs` fit as they are.
 */
export interface Conv2dParams {
  stride: readonly [number, number];
  padding: Padding2d;
  dilation: readonly [number, number];
  groups: number;
}

/** [N, O, Ho, Wo] for x [N, C, H, W] and w [O, C / groups, Kh, Kw]. */
export function conv2dOutputShape(
  xShape: Shape4,
  wShape: Shape4,
  p: Conv2dParams,
): [number, number, number, number] {
  const win = window2d(1, xShape[2], xShape[3], { kernel: [wShape[2], wShape[3]], ...p });
  return [xShape[0], wShape[0], win.outH, win.outW];
}

/** y = conv(x, w) (+ bias per output channel), a new array typed like x. */
export function conv2dForward(
  x: FloatArray,
  xShape: Shape4,
  w: FloatArray,
  wShape: Shape4,
  p: Conv2dParams,
  bias?: FloatArray | null,
): FloatArray {
  const plan = planConv(xShape, wShape, p);
  const { o, og, ckk, spatial, groups } = plan;
  const y = allocLike(x, xShape[0] * o * spatial);
  if (bias) for (let i = 0; i < xShape[0] * o; i++) y.fill(bias[i % o], i * spatial, (i + 1) * spatial);
  if (plan.direct) {
    directForward(plan.direct, x, w, y);
    return y;
  }
  if (plan.wide) {
    wideForward(plan.wide, x, w, y, !!bias);
    return y;
  }
  for (const u of plan.units) {
    for (let g = 0; g < groups; g++) {
      const b = patches(plan, u, x, g);
      const wOffset = g * og * ckk;
      const cols = u.nb * u.rows * plan.win.outW;
      if (u.nb === 1) {
        const yOffset = (u.n0 * o + g * og) * spatial + u.oh0 * plan.win.outW;
        mm(false, false, og, cols, ckk, w, wOffset, ckk, b.data, b.offset, b.ld, y, yOffset, spatial, !!bias);
      } else {
        const tmp = scratch(x, 'rows', og * cols);
        mm(false, false, og, cols, ckk, w, wOffset, ckk, b.data, b.offset, b.ld, tmp, 0, cols, false);
        unpackRows(plan, u, g, tmp, y, !!bias);
      }
    }
  }
  return y;
}

/** dx = the adjoint of conv2dForward in x (no bias), for dy [N, O, Ho, Wo]. */
export function conv2dBackwardInput(
  dy: FloatArray,
  w: FloatArray,
  xShape: Shape4,
  wShape: Shape4,
  p: Conv2dParams,
): FloatArray {
  const plan = planConv(xShape, wShape, p);
  const { og, cg, ckk, spatial, groups, imageSize } = plan;
  const transposed = transposedConv(plan, wShape, p);
  if (transposed) {
    return conv2dForward(dy, transposed.dyShape, flipped(w, wShape, groups), transposed.wShape, transposed.p);
  }
  const dx = allocLike(dy, xShape[0] * imageSize);
  if (plan.direct) {
    directBackwardInput(plan.direct, dy, w, dx);
    return dx;
  }
  for (const u of plan.units) {
    for (let g = 0; g < groups; g++) {
      const d = outputRows(plan, u, g, dy);
      const wOffset = g * og * ckk;
      const cols = u.nb * u.rows * plan.win.outW;
      if (plan.pointwise) {
        const xOffset = u.n0 * imageSize + g * cg * spatial;
        mm(true, false, cg, cols, og, w, wOffset, ckk, d.data, d.offset, d.ld, dx, xOffset, spatial, false);
      } else {
        const col = scratch(dy, 'col', ckk * cols);
        mm(true, false, ckk, cols, og, w, wOffset, ckk, d.data, d.offset, d.ld, col, 0, cols, false);
        col2im(colArgs(plan, u, g, dx, col, 0));
      }
    }
  }
  return dx;
}

/** dw = the adjoint of conv2dForward in w, summed over the batch, for dy [N, O, Ho, Wo]. */
export function conv2dBackwardFilter(
  x: FloatArray,
  dy: FloatArray,
  xShape: Shape4,
  wShape: Shape4,
  p: Conv2dParams,
): FloatArray {
  const plan = planConv(xShape, wShape, p);
  const { og, ckk, groups } = plan;
  const dw = allocLike(x, plan.o * ckk);
  if (plan.direct) {
    directBackwardFilter(plan.direct, x, dy, dw);
    return dw;
  }
  if (plan.wide) {
    wideBackwardFilter(plan.wide, x, dy, dw);
    return dw;
  }
  for (let g = 0; g < groups; g++) {
    let first = true;
    for (const u of plan.units) {
      const d = outputRows(plan, u, g, dy);
      const b = patches(plan, u, x, g);
      const cols = u.nb * u.rows * plan.win.outW;
      mm(
        false,
        true,
        og,
        ckk,
        cols,
        d.data,
        d.offset,
        d.ld,
        b.data,
        b.offset,
        b.ld,
        dw,
        g * og * ckk,
        ckk,
        !first,
      );
      first = false;
    }
  }
  return dw;
}

/**
 * One GEMM's worth of work: images n0..n0+nb, output rows oh0..oh0+rows. Either several
 * whole images side by side (small feature maps, so the GEMM gets enough columns) or one
 * image, split into bands of output rows when its patch matrix would exceed the budget.
 */
interface Unit {
  n0: number;
  nb: number;
  oh0: number;
  rows: number;
}

interface ConvPlan {
  /** the window over one group's channels */
  win: Window2d;
  o: number;
  groups: number;
  cg: number;
  og: number;
  /** (C / groups) * Kh * Kw: the GEMM's inner dimension */
  ckk: number;
  spatial: number;
  n: number;
  imageSize: number;
  /** 1 x 1, stride 1, no padding: the image itself is the patch matrix */
  pointwise: boolean;
  /** set when the groups are too thin for a GEMM: the direct loops run instead */
  direct: DirectConv | null;
  /** set for stride-1 convs whose patch rows can be contiguous runs (conv2d-wide.ts) */
  wide: WideConv | null;
  units: Unit[];
}

/** GEMMs narrower than this get several images side by side */
const MIN_COLUMNS = 256;
/** largest patch matrix, in elements, before an image is cut into bands of rows */
const COL_BUDGET = 1 << 21;
/** output channels per group below which the direct loops beat a GEMM (its micro-tile is 4 rows) */
const MIN_GEMM_ROWS = 4;

function planConv(xShape: Shape4, wShape: Shape4, p: Conv2dParams): ConvPlan {
  const [n, c, h, w] = xShape;
  const [o, cg, kh, kw] = wShape;
  const groups = p.groups;
  if (cg * groups !== c || o % groups !== 0) {
    throw new RangeError(`conv2d: weight [${wShape}] with groups=${groups} does not match input [${xShape}]`);
  }
  const win = window2d(cg, h, w, { kernel: [kh, kw], ...p });
  const ckk = cg * kh * kw;
  const og = o / groups;
  const spatial = win.outH * win.outW;
  const pointwise =
    kh === 1 && kw === 1 && win.strideH === 1 && win.strideW === 1 && win.outH === h && win.outW === w;
  const direct = og < MIN_GEMM_ROWS && !pointwise ? { win, n, groups, cg, og } : null;
  const [pt, pb, pl, pr] = padding4(p.padding);
  // not for "same" convs, whose im2col already copies whole bands natively: there the
  // wider GEMM costs more than it saves
  const wide =
    direct || pointwise || win.outW === w
      ? null
      : planWide(win, [pt, pb], [pl, pr], n, groups, og, COL_BUDGET);
  const units: Unit[] = [];
  if (direct) {
    // no GEMMs
  } else if (pointwise || spatial >= MIN_COLUMNS) {
    const rows = pointwise
      ? win.outH
      : Math.max(1, Math.min(win.outH, Math.floor(COL_BUDGET / (ckk * win.outW))));
    for (let i = 0; i < n; i++) {
      for (let oh0 = 0; oh0 < win.outH; oh0 += rows)
        units.push({ n0: i, nb: 1, oh0, rows: Math.min(rows, win.outH - oh0) });
    }
  } else {
    const per = Math.max(
      1,
      Math.min(Math.ceil(MIN_COLUMNS / spatial), Math.floor(COL_BUDGET / (ckk * spatial))),
    );
    for (let i = 0; i < n; i += per) units.push({ n0: i, nb: Math.min(per, n - i), oh0: 0, rows: win.outH });
  }
  return { win, o, groups, cg, og, ckk, spatial, n, imageSize: c * h * w, pointwise, direct, wide, units };
}

/**
 * The input gradient of a stride-1 conv is itself a conv: of dy with each group's kernel
 * flipped in both axes and its in/out channels swapped, padded so that the output is the
 * input's size (the adjoint reads dy at oh = h + padTop - i * dilation). That turns the
 * GEMM's short inner dimension O/g (and the col2im after it) into (O/g) * Kh * Kw and a
 * plain im2col (native copies, where col2im adds element by element in JS). Taken only for
 * "same" convs (output size = input size, so the transposed padding is the forward's,
 * mirrored): for a "valid" conv the transposed conv pads dy by the whole kernel and
 * multiplies more zeros than the GEMM + col2im path adds up (measured on LeNet-5's conv2,
 * also with the transposed conv run wide). Not taken either when a group has too few
 * input channels to fill the GEMM's tile rows.
 */
function transposedConv(
  plan: ConvPlan,
  wShape: Shape4,
  p: Conv2dParams,
): { dyShape: Shape4; wShape: Shape4; p: Conv2dParams } | null {
  const { win, cg, og, groups } = plan;
  const same = win.outH === win.height && win.outW === win.width;
  if (plan.direct || plan.pointwise || !same || win.strideH !== 1 || win.strideW !== 1 || cg < MIN_GEMM_ROWS)
    return null;
  const [kh, kw] = [wShape[2], wShape[3]];
  // "same" means top + bottom = the dilated kernel's extent, so the transposed conv's
  // top padding, extent - top, is the bottom one (and likewise left and right)
  const [pt, pb, pl, pr] = padding4(p.padding);
  return {
    dyShape: [plan.n, groups * og, win.outH, win.outW],
    wShape: [groups * cg, og, kh, kw],
    p: {
      stride: [1, 1],
      padding: [pb, pt, pr, pl],
      dilation: [win.dilationH, win.dilationW],
      groups,
    },
  };
}

/** Per group, w [O/g, C/g, Kh, Kw] as [C/g, O/g, Kh, Kw] with both kernel axes reversed. */
function flipped(w: FloatArray, wShape: Shape4, groups: number): FloatArray {
  const [o, cg, kh, kw] = wShape;
  const og = o / groups;
  const kk = kh * kw;
  const out = allocLike(w, w.length);
  for (let g = 0; g < groups; g++) {
    for (let r = 0; r < og; r++) {
      for (let c = 0; c < cg; c++) {
        const src = ((g * og + r) * cg + c) * kk;
        const dst = ((g * cg + c) * og + r) * kk;
        for (let t = 0; t < kk; t++) out[dst + t] = w[src + kk - 1 - t];
      }
    }
  }
  return out;
}

interface MatrixRef {
  data: FloatArray;
  offset: number;
  ld: number;
}

/**
 * The patch matrix (ckk x unit columns) of group g: the image itself when pointwise, else
 * im2col into scratch, with the unit's images copied in ahead of it where that makes
 * im2col's copies native (see ColArgs).
 */
function patches(plan: ConvPlan, u: Unit, x: FloatArray, g: number): MatrixRef {
  const { cg, imageSize } = plan;
  const plane = plan.win.height * plan.win.width;
  if (plan.pointwise) return { data: x, offset: u.n0 * imageSize + g * cg * plane, ld: plan.spatial };
  const cols = u.nb * u.rows * plan.win.outW;
  if (!sharedArrayHelps(plan.win)) {
    const col = scratch(x, 'col', plan.ckk * cols);
    im2col(colArgs(plan, u, g, x, col, 0));
    return { data: col, offset: 0, ld: cols };
  }
  const groupSize = cg * plane;
  const images = u.nb * groupSize;
  const buf = scratch(x, 'col', images + plan.ckk * cols);
  for (let b = 0; b < u.nb; b++) {
    const from = (u.n0 + b) * imageSize + g * groupSize;
    buf.set(x.subarray(from, from + groupSize), b * groupSize);
  }
  im2col({ ...colArgs(plan, u, g, buf, buf, images), xOffset: 0, xImageStride: groupSize });
  return { data: buf, offset: images, ld: cols };
}

/** A band of output rows is the same window with the top padding moved down by oh0 strides. */
function colArgs(
  plan: ConvPlan,
  u: Unit,
  g: number,
  x: FloatArray,
  col: FloatArray,
  colOffset: number,
): ColArgs {
  const win =
    u.oh0 === 0 && u.rows === plan.win.outH
      ? plan.win
      : { ...plan.win, padTop: plan.win.padTop - u.oh0 * plan.win.strideH, outH: u.rows };
  const cols = u.nb * u.rows * plan.win.outW;
  const xOffset = u.n0 * plan.imageSize + g * plan.cg * plan.win.height * plan.win.width;
  return { win, x, xOffset, xImageStride: plan.imageSize, images: u.nb, col, colOffset, ldCol: cols };
}

/** Group g's rows of dy for the unit as an og x columns matrix (gathered into scratch when the unit spans images). */
function outputRows(plan: ConvPlan, u: Unit, g: number, dy: FloatArray): MatrixRef {
  const { o, og, spatial } = plan;
  if (u.nb === 1)
    return { data: dy, offset: (u.n0 * o + g * og) * spatial + u.oh0 * plan.win.outW, ld: spatial };
  const cols = u.nb * spatial;
  const tmp = scratch(dy, 'rows', og * cols);
  for (let b = 0; b < u.nb; b++) {
    for (let r = 0; r < og; r++) {
      const src = ((u.n0 + b) * o + g * og + r) * spatial;
      tmp.set(dy.subarray(src, src + spatial), r * cols + b * spatial);
    }
  }
  return { data: tmp, offset: 0, ld: cols };
}

/** The inverse of outputRows' gather, into y (added when y already holds the bias). */
function unpackRows(plan: ConvPlan, u: Unit, g: number, tmp: FloatArray, y: FloatArray, add: boolean): void {
  const { o, og, spatial } = plan;
  const cols = u.nb * spatial;
  for (let b = 0; b < u.nb; b++) {
    for (let r = 0; r < og; r++) {
      const dst = ((u.n0 + b) * o + g * og + r) * spatial;
      const src = r * cols + b * spatial;
      if (add) for (let s = 0; s < spatial; s++) y[dst + s] += tmp[src + s];
      else y.set(tmp.subarray(src, src + spatial), dst);
    }
  }
}

function mm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  aOffset: number,
  lda: number,
  b: FloatArray,
  bOffset: number,
  ldb: number,
  c: FloatArray,
  cOffset: number,
  ldc: number,
  accumulate: boolean,
): void {
  gemm({ transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate });
}
