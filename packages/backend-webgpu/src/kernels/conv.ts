import type { Conv2dAttrs, TensorInfo } from '@lowrank/core';
import type { GpuData } from '../gpu-data.js';
import type { Params } from '../params.js';
import { type KernelContext, output, runFlat } from './context.js';
import { copyStrided } from './copy.js';
import { gemm } from './matmul.js';

/**
 * conv2d and its gradients as explicit im2col + the tiled GEMM, per group and per
 * chunk of images (so that the patch matrix stays within a budget). With
 * ckk = C/groups * Kh * Kw and S = Ho * Wo:
 *   forward     y[n, g]  = w[g] (og x ckk) . col[n, g] (ckk x S)
 *   grad input  dcol[n, g] = w[g]^T . dy[n, g], then col2im (a gather per dx element, no atomics)
 *   grad filter dw[g]    = dy[g] (og x N*S) . col[g]^T, dy transposed to [O, N, S] first
 * A 1x1, stride-1, unpadded convolution is its own patch matrix. Chunks hold as
 * many images as fit ctx.patchBudget elements (at least one).
 */

interface Geometry {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  groups: number;
  cg: number;
  og: number;
  kh: number;
  kw: number;
  ho: number;
  wo: number;
  ckk: number;
  spatial: number;
  pointwise: boolean;
}

function geometry(xShape: readonly number[], wShape: readonly number[], a: Conv2dAttrs): Geometry {
  const [n, c, h, w] = xShape;
  const [o, cg, kh, kw] = wShape;
  const [pt, pb, pl, pr] = a.padding;
  const ho = Math.floor((h + pt + pb - a.dilation[0] * (kh - 1) - 1) / a.stride[0]) + 1;
  const wo = Math.floor((w + pl + pr - a.dilation[1] * (kw - 1) - 1) / a.stride[1]) + 1;
  const pointwise = kh === 1 && kw === 1 && a.stride[0] === 1 && a.stride[1] === 1 && pt + pb + pl + pr === 0;
  return {
    n,
    c,
    h,
    w,
    o,
    groups: a.groups,
    cg,
    og: o / a.groups,
    kh,
    kw,
    ho,
    wo,
    ckk: cg * kh * kw,
    spatial: ho * wo,
    pointwise,
  };
}

function windowParams(g: Geometry, a: Conv2dAttrs) {
  return (p: Params) =>
    p
      .i32('C', g.c)
      .i32('H', g.h)
      .i32('W', g.w)
      .i32('Ho', g.ho)
      .i32('Wo', g.wo)
      .i32('G', g.groups)
      .i32('cg', g.cg)
      .i32('kh', g.kh)
      .i32('kw', g.kw)
      .i32('sh', a.stride[0])
      .i32('sw', a.stride[1])
      .i32('pt', a.padding[0])
      .i32('pl', a.padding[2])
      .i32('dh', a.dilation[0])
      .i32('dw', a.dilation[1])
      .i32('S', g.spatial)
      .i32('CKK', g.ckk);
}

/** Images per chunk: as many as fit the patch budget, at least one (if it fits a binding). */
function imagesPerChunk(ctx: KernelContext, g: Geometry): number {
  const perImage = g.groups * g.ckk * g.spatial;
  const binding = Math.floor(ctx.limits.maxStorageBufferBindingSize / 4);
  if (perImage > binding) {
    throw new RangeError(
      `conv2d: one image's patch matrix (${perImage} elements) exceeds the device's binding limit (${binding} elements)`,
    );
  }
  return Math.max(1, Math.min(g.n, Math.floor(ctx.patchBudget / perImage)));
}

/**
 * Patch matrix of images n0..n0+nb: element (image, g, ck, s) at
 * image * sN + g * sG + ck * sK + s, so callers choose the layout.
 */
function im2col(
  ctx: KernelContext,
  x: GpuData,
  g: Geometry,
  a: Conv2dAttrs,
  n0: number,
  nb: number,
  layout: 'image-major' | 'group-major',
): GpuData {
  const col = ctx.alloc(nb * g.groups * g.ckk * g.spatial, 'float32');
  const [sN, sG, sK] =
    layout === 'image-major'
      ? [g.groups * g.ckk * g.spatial, g.ckk * g.spatial, g.spatial]
      : [g.spatial, g.ckk * nb * g.spatial, nb * g.spatial];
  runFlat(
    ctx,
    'im2col',
    col.size,
    [
      { name: 'X', type: 'f32', data: x },
      { name: 'COL', type: 'f32', write: true, data: col },
    ],
    (p) => windowParams(g, a)(p).i32('n0', n0).i32('sN', sN).i32('sG', sG).i32('sK', sK),
    `  let s = i % P.S;
  var r = i / P.S;
  let ck = r % P.CKK;
  r = r / P.CKK;
  let g = r % P.G;
  let img = r / P.G;
  let ih = (s / P.Wo) * P.sh - P.pt + ((ck / P.kw) % P.kh) * P.dh;
  let iw = (s % P.Wo) * P.sw - P.pl + (ck % P.kw) * P.dw;
  let c = g * P.cg + ck / (P.kh * P.kw);
  var v = 0.0;
  if (ih >= 0 && ih < P.H && iw >= 0 && iw < P.W) { v = X[(((P.n0 + img) * P.C + c) * P.H + ih) * P.W + iw]; }
  COL[img * P.sN + g * P.sG + ck * P.sK + s] = v;`,
  );
  return col;
}

/** dx of images n0..n0+nb from their dcol [nb, G, ckk, S]: each element sums the patch entries that read it. */
function col2im(
  ctx: KernelContext,
  dcol: GpuData,
  dx: GpuData,
  g: Geometry,
  a: Conv2dAttrs,
  n0: number,
  nb: number,
): void {
  runFlat(
    ctx,
    'col2im',
    nb * g.c * g.h * g.w,
    [
      { name: 'DCOL', type: 'f32', data: dcol },
      { name: 'DX', type: 'f32', write: true, data: dx },
    ],
    (p) => windowParams(g, a)(p).i32('n0', n0),
    `  let x = i % P.W;
  var r = i / P.W;
  let y = r % P.H;
  r = r / P.H;
  let c = r % P.C;
  let img = r / P.C;
  let base = (img * P.G + c / P.cg) * P.CKK + (c % P.cg) * P.kh * P.kw;
  var acc = 0.0;
  for (var ki = 0; ki < P.kh; ki++) {
    let th = y + P.pt - ki * P.dh;
    let oh = th / P.sh;
    if (th < 0 || th % P.sh != 0 || oh >= P.Ho) { continue; }
    for (var kj = 0; kj < P.kw; kj++) {
      let tw = x + P.pl - kj * P.dw;
      let ow = tw / P.sw;
      if (tw < 0 || tw % P.sw != 0 || ow >= P.Wo) { continue; }
      acc += DCOL[(base + ki * P.kw + kj) * P.S + oh * P.Wo + ow];
    }
  }
  DX[P.n0 * P.C * P.H * P.W + i] = acc;`,
  );
}

export function conv2d(ctx: KernelContext, x: TensorInfo, w: TensorInfo, a: Conv2dAttrs): TensorInfo {
  const g = geometry(x.shape, w.shape, a);
  const shape = [g.n, g.o, g.ho, g.wo];
  const y = ctx.alloc(g.n * g.o * g.spatial, 'float32');
  const weights = { data: ctx.data(w), base: 0, batchStrides: [0, g.og * g.ckk], trans: false };
  const mm = (nb: number) => ({ batch: [nb, g.groups], m: g.og, n: g.spatial, k: g.ckk });
  if (g.pointwise) {
    const xs = {
      data: ctx.data(x),
      base: 0,
      batchStrides: [g.c * g.spatial, g.cg * g.spatial],
      trans: false,
    };
    gemm(ctx, weights, xs, { data: y, base: 0 }, mm(g.n));
    return output(y, shape);
  }
  const per = imagesPerChunk(ctx, g);
  for (let n0 = 0; n0 < g.n; n0 += per) {
    const nb = Math.min(per, g.n - n0);
    const col = im2col(ctx, ctx.data(x), g, a, n0, nb, 'image-major');
    const cols = {
      data: col,
      base: 0,
      batchStrides: [g.groups * g.ckk * g.spatial, g.ckk * g.spatial],
      trans: false,
    };
    gemm(ctx, weights, cols, { data: y, base: n0 * g.o * g.spatial }, mm(nb));
    ctx.release(col);
  }
  return output(y, shape);
}

export function conv2dGradInput(
  ctx: KernelContext,
  dy: TensorInfo,
  w: TensorInfo,
  a: Conv2dAttrs & { inputShape: number[] },
): TensorInfo {
  const g = geometry(a.inputShape, w.shape, a);
  const dx = ctx.alloc(g.n * g.c * g.h * g.w, 'float32');
  const weights = { data: ctx.data(w), base: 0, batchStrides: [0, g.og * g.ckk], trans: true };
  const mm = (nb: number) => ({ batch: [nb, g.groups], m: g.ckk, n: g.spatial, k: g.og });
  const grads = (n0: number) => ({
    data: ctx.data(dy),
    base: n0 * g.o * g.spatial,
    batchStrides: [g.o * g.spatial, g.og * g.spatial],
    trans: false,
  });
  if (g.pointwise) {
    gemm(ctx, weights, grads(0), { data: dx, base: 0 }, mm(g.n));
    return output(dx, a.inputShape);
  }
  const per = imagesPerChunk(ctx, g);
  for (let n0 = 0; n0 < g.n; n0 += per) {
    const nb = Math.min(per, g.n - n0);
    const dcol = ctx.alloc(nb * g.groups * g.ckk * g.spatial, 'float32');
    gemm(ctx, weights, grads(n0), { data: dcol, base: 0 }, mm(nb));
    col2im(ctx, dcol, dx, g, a, n0, nb);
    ctx.release(dcol);
  }
  return output(dx, a.inputShape);
}

export function conv2dGradFilter(
  ctx: KernelContext,
  x: TensorInfo,
  dy: TensorInfo,
  a: Conv2dAttrs & { filterShape: number[] },
): TensorInfo {
  const g = geometry(x.shape, a.filterShape, a);
  const dw = ctx.alloc(g.o * g.ckk, 'float32');
  const per = imagesPerChunk(ctx, g);
  for (let n0 = 0; n0 < g.n; n0 += per) {
    const nb = Math.min(per, g.n - n0);
    // dy of the chunk as [O, nb, S], so that K = nb * S is contiguous per output channel.
    let dyT = ctx.data(dy);
    let dyBase = n0 * g.o * g.spatial;
    if (nb > 1) {
      dyT = ctx.alloc(g.o * nb * g.spatial, 'float32');
      copyStrided(
        ctx,
        [nb, g.o, g.spatial],
        { data: ctx.data(dy), base: dyBase, strides: [g.o * g.spatial, g.spatial, 1] },
        { data: dyT, base: 0, strides: [g.spatial, nb * g.spatial, 1] },
      );
      dyBase = 0;
    }
    const col = im2col(ctx, ctx.data(x), g, a, n0, nb, 'group-major');
    gemm(
      ctx,
      { data: dyT, base: dyBase, batchStrides: [g.og * nb * g.spatial], trans: false },
      { data: col, base: 0, batchStrides: [g.ckk * nb * g.spatial], trans: true },
      { data: dw, base: 0, accumulate: n0 > 0 },
      { batch: [g.groups], m: g.og, n: g.ckk, k: nb * g.spatial },
    );
    ctx.release(col);
    if (dyT !== ctx.data(dy)) ctx.release(dyT);
  }
  return output(dw, a.filterShape);
}
