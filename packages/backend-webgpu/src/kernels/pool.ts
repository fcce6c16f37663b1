import type { Pool2dAttrs, TensorInfo } from '@lowrank/core';
import type { Params } from '../params.js';
import { type KernelContext, output, runFlat } from './context.js';
import { MATH_WGSL } from './math.js';

/**
 * 2-d pooling on NCHW, one thread per output; the backward kernels run one thread
 * per input element and sum, in the CPU backend's order, the few outputs whose
 * windows cover it: deterministic, and no float atomics. Argmax is the flat index
 * ih * W + iw within each H x W plane (-1 when a window sees only padding).
 */

type Shape4 = readonly [number, number, number, number];

/** Thread i as output (plane, oh, ow) or input (plane, h, w) coordinates. */
const OUTPUT_COORDS = `  let ow = i % P.Wo;
  let oh = (i / P.Wo) % P.Ho;
  let plane = i / (P.Wo * P.Ho);`;
const INPUT_COORDS = `  let w = i % P.W;
  let h = (i / P.W) % P.H;
  let plane = i / (P.W * P.H);`;

const planes = (p: Params, h: number, w: number, ho: number, wo: number) =>
  p.i32('H', h).i32('W', w).i32('Ho', ho).i32('Wo', wo);

function outSize(h: number, k: number, s: number, before: number, after: number, d: number): number {
  return Math.floor((h + before + after - d * (k - 1) - 1) / s) + 1;
}

function slidingParams(attrs: Pool2dAttrs) {
  return (p: Params) =>
    p
      .i32('kh', attrs.kernel[0])
      .i32('kw', attrs.kernel[1])
      .i32('sh', attrs.stride[0])
      .i32('sw', attrs.stride[1])
      .i32('pt', attrs.padding[0])
      .i32('pl', attrs.padding[2])
      .i32('dh', attrs.dilation[0])
      .i32('dw', attrs.dilation[1]);
}

/** PyTorch's adaptive window along an axis: [floor(i * in / out), ceil((i + 1) * in / out)). */
const ADAPTIVE_WGSL = `
fn spanStart(i: i32, size: i32, out: i32) -> i32 { return (i * size) / out; }
fn spanEnd(i: i32, size: i32, out: i32) -> i32 { return ((i + 1) * size + out - 1) / out; }`;

/** Max pooling with argmax; `loops` opens the two loops over the window's (ih, iw) inside the image. */
function maxPoolLaunch(
  ctx: KernelContext,
  x: TensorInfo,
  key: string,
  ho: number,
  wo: number,
  p: (p: Params) => Params,
  loops: string,
): TensorInfo[] {
  const [n, c, h, w] = x.shape as Shape4;
  const shape = [n, c, ho, wo];
  const y = ctx.alloc(n * c * ho * wo, 'float32');
  const argmax = ctx.alloc(n * c * ho * wo, 'int32');
  runFlat(
    ctx,
    key,
    y.size,
    [
      { name: 'X', type: 'f32', data: ctx.data(x) },
      { name: 'Y', type: 'f32', write: true, data: y },
      { name: 'ARG', type: 'i32', write: true, data: argmax },
    ],
    (q) => p(planes(q, h, w, ho, wo).f32('inf', Number.POSITIVE_INFINITY)),
    `${OUTPUT_COORDS}
  var best = -P.inf;
  var arg = -1;
${loops}
      let at = ih * P.W + iw;
      let v = X[plane * P.H * P.W + at];
      if (v > best || isNan(v) || arg < 0) {
        best = v;
        arg = at;
      }
    }
  }
  Y[i] = best;
  ARG[i] = arg;`,
    `${MATH_WGSL}${ADAPTIVE_WGSL}`,
  );
  return [output(y, shape), output(argmax, shape)];
}

export function maxPool2d(ctx: KernelContext, x: TensorInfo, a: Pool2dAttrs): TensorInfo[] {
  const [, , h, w] = x.shape as Shape4;
  const ho = outSize(h, a.kernel[0], a.stride[0], a.padding[0], a.padding[1], a.dilation[0]);
  const wo = outSize(w, a.kernel[1], a.stride[1], a.padding[2], a.padding[3], a.dilation[1]);
  const loops = `  for (var ki = 0; ki < P.kh; ki++) {
    let ih = oh * P.sh - P.pt + ki * P.dh;
    if (ih < 0 || ih >= P.H) { continue; }
    for (var kj = 0; kj < P.kw; kj++) {
      let iw = ow * P.sw - P.pl + kj * P.dw;
      if (iw < 0 || iw >= P.W) { continue; }`;
  return maxPoolLaunch(ctx, x, 'maxPool2d', ho, wo, slidingParams(a), loops);
}

export function adaptiveMaxPool2d(
  ctx: KernelContext,
  x: TensorInfo,
  outSize2: [number, number],
): TensorInfo[] {
  const [ho, wo] = outSize2;
  const loops = `  for (var ih = spanStart(oh, P.H, P.Ho); ih < spanEnd(oh, P.H, P.Ho); ih++) {
    for (var iw = spanStart(ow, P.W, P.Wo); iw < spanEnd(ow, P.W, P.Wo); iw++) {`;
  return maxPoolLaunch(ctx, x, 'adaptiveMaxPool2d', ho, wo, (p) => p, loops);
}

/** The average pool's clipped span along an axis and the divisor's factor for it (the CPU backend's avgSpan). */
const AVG_SPAN_WGSL = `
fn avgSpan(i: i32, stride: i32, pad: i32, kernel: i32, size: i32, countPad: bool) -> vec3<i32> {
  let start = i * stride - pad;
  let s = max(0, start);
  let e = min(size, start + kernel);
  return vec3<i32>(s, e, select(e - s, kernel, countPad));
}`;

type AvgAttrs = Pool2dAttrs & { countIncludePad: boolean };

export function avgPool2d(ctx: KernelContext, x: TensorInfo, a: AvgAttrs): TensorInfo {
  const [n, c, h, w] = x.shape as Shape4;
  const ho = outSize(h, a.kernel[0], a.stride[0], a.padding[0], a.padding[1], 1);
  const wo = outSize(w, a.kernel[1], a.stride[1], a.padding[2], a.padding[3], 1);
  const y = ctx.alloc(n * c * ho * wo, 'float32');
  runFlat(
    ctx,
    'avgPool2d',
    y.size,
    [
      { name: 'X', type: 'f32', data: ctx.data(x) },
      { name: 'Y', type: 'f32', write: true, data: y },
    ],
    (p) => slidingParams(a)(planes(p, h, w, ho, wo)).u32('countPad', Number(a.countIncludePad)),
    `${OUTPUT_COORDS}
  let sh = avgSpan(oh, P.sh, P.pt, P.kh, P.H, P.countPad != 0u);
  let sw = avgSpan(ow, P.sw, P.pl, P.kw, P.W, P.countPad != 0u);
  var acc = 0.0;
  for (var ih = sh.x; ih < sh.y; ih++) {
    for (var iw = sw.x; iw < sw.y; iw++) { acc += X[(plane * P.H + ih) * P.W + iw]; }
  }
  Y[i] = acc / f32(sh.z * sw.z);`,
    AVG_SPAN_WGSL,
  );
  return output(y, [n, c, ho, wo]);
}

export function avgPool2dGrad(
  ctx: KernelContext,
  dy: TensorInfo,
  a: AvgAttrs & { inputShape: number[] },
): TensorInfo {
  const [, , ho, wo] = dy.shape as Shape4;
  const [n, c, h, w] = a.inputShape as unknown as Shape4;
  const dx = ctx.alloc(n * c * h * w, 'float32');
  runFlat(
    ctx,
    'avgPool2dGrad',
    dx.size,
    [
      { name: 'DY', type: 'f32', data: ctx.data(dy) },
      { name: 'DX', type: 'f32', write: true, data: dx },
    ],
    (p) => slidingParams(a)(planes(p, h, w, ho, wo)).u32('countPad', Number(a.countIncludePad)),
    `${INPUT_COORDS}
  // windows starting in (h + pt - kh, h + pt] cover row h
  let th = h + P.pt - P.kh + 1;
  let tw = w + P.pl - P.kw + 1;
  var acc = 0.0;
  for (var oh = select(0, (th + P.sh - 1) / P.sh, th > 0); oh <= min(P.Ho - 1, (h + P.pt) / P.sh); oh++) {
    let sh = avgSpan(oh, P.sh, P.pt, P.kh, P.H, P.countPad != 0u);
    for (var ow = select(0, (tw + P.sw - 1) / P.sw, tw > 0); ow <= min(P.Wo - 1, (w + P.pl) / P.sw); ow++) {
      let sw = avgSpan(ow, P.sw, P.pl, P.kw, P.W, P.countPad != 0u);
      acc += DY[(plane * P.Ho + oh) * P.Wo + ow] / f32(sh.z * sw.z);
    }
  }
  DX[i] = acc;`,
    AVG_SPAN_WGSL,
  );
  return output(dx, a.inputShape);
}

export function adaptiveAvgPool2d(ctx: KernelContext, x: TensorInfo, outSize2: [number, number]): TensorInfo {
  const [n, c, h, w] = x.shape as Shape4;
  const [ho, wo] = outSize2;
  const y = ctx.alloc(n * c * ho * wo, 'float32');
  runFlat(
    ctx,
    'adaptiveAvgPool2d',
    y.size,
    [
      { name: 'X', type: 'f32', data: ctx.data(x) },
      { name: 'Y', type: 'f32', write: true, data: y },
    ],
    (p) => planes(p, h, w, ho, wo),
    `${OUTPUT_COORDS}
  let hs = spanStart(oh, P.H, P.Ho);
  let he = spanEnd(oh, P.H, P.Ho);
  let ws = spanStart(ow, P.W, P.Wo);
  let we = spanEnd(ow, P.W, P.Wo);
  var acc = 0.0;
  for (var ih = hs; ih < he; ih++) {
    for (var iw = ws; iw < we; iw++) { acc += X[(plane * P.H + ih) * P.W + iw]; }
  }
  Y[i] = acc / f32((he - hs) * (we - ws));`,
    ADAPTIVE_WGSL,
  );
  return output(y, [n, c, ho, wo]);
}

/** Candidate adaptive windows covering row/column v: [v * out / size, ceil((v + 1) * out / size) - 1], checked exactly inside. */
const ADAPTIVE_COVER = (v: string, size: string, out: string) =>
  [
    `(${v} * ${out}) / ${size}`,
    `min(${out} - 1, ((${v} + 1) * ${out} + ${size} - 1) / ${size} - 1)`,
  ] as const;

export function adaptiveAvgPool2dGrad(
  ctx: KernelContext,
  dy: TensorInfo,
  outSize2: [number, number],
  inputShape: number[],
): TensorInfo {
  const [n, c, h, w] = inputShape as unknown as Shape4;
  const [ho, wo] = outSize2;
  const dx = ctx.alloc(n * c * h * w, 'float32');
  const [hLo, hHi] = ADAPTIVE_COVER('h', 'P.H', 'P.Ho');
  const [wLo, wHi] = ADAPTIVE_COVER('w', 'P.W', 'P.Wo');
  runFlat(
    ctx,
    'adaptiveAvgPool2dGrad',
    dx.size,
    [
      { name: 'DY', type: 'f32', data: ctx.data(dy) },
      { name: 'DX', type: 'f32', write: true, data: dx },
    ],
    (p) => planes(p, h, w, ho, wo),
    `${INPUT_COORDS}
  var acc = 0.0;
  for (var oh = ${hLo}; oh <= ${hHi}; oh++) {
    let hs = spanStart(oh, P.H, P.Ho);
    let he = spanEnd(oh, P.H, P.Ho);
    if (h < hs || h >= he) { continue; }
    for (var ow = ${wLo}; ow <= ${wHi}; ow++) {
      let ws = spanStart(ow, P.W, P.Wo);
      let we = spanEnd(ow, P.W, P.Wo);
      if (w < ws || w >= we) { continue; }
      acc += DY[(plane * P.Ho + oh) * P.Wo + ow] / f32((he - hs) * (we - ws));
    }
  }
  DX[i] = acc;`,
    ADAPTIVE_WGSL,
  );
  return output(dx, inputShape);
}

/**
 * dx: each dy added at its argmax. Each input element visits only the outputs whose
 * windows (from the pooling that made argmax) can cover it.
 */
export function poolScatter(
  ctx: KernelContext,
  dy: TensorInfo,
  argmax: TensorInfo,
  inputShape: number[],
  window: Pool2dAttrs | { outSize: [number, number] },
): TensorInfo {
  const [, , ho, wo] = dy.shape as Shape4;
  const [n, c, h, w] = inputShape as unknown as Shape4;
  const dx = ctx.alloc(n * c * h * w, 'float32');
  const sliding = 'kernel' in window;
  // windows starting in [v + pad - (k - 1) * d, v + pad] can cover v
  const lo = (v: string, pad: string, k: string, d: string, s: string) =>
    `select(0, (${v} + ${pad} - (${k} - 1) * ${d} + ${s} - 1) / ${s}, ${v} + ${pad} - (${k} - 1) * ${d} > 0)`;
  const ranges = sliding
    ? [
        lo('h', 'P.pt', 'P.kh', 'P.dh', 'P.sh'),
        'min(P.Ho - 1, (h + P.pt) / P.sh)',
        lo('w', 'P.pl', 'P.kw', 'P.dw', 'P.sw'),
        'min(P.Wo - 1, (w + P.pl) / P.sw)',
      ]
    : [...ADAPTIVE_COVER('h', 'P.H', 'P.Ho'), ...ADAPTIVE_COVER('w', 'P.W', 'P.Wo')];
  runFlat(
    ctx,
    `poolScatter:${sliding ? 'sliding' : 'adaptive'}`,
    dx.size,
    [
      { name: 'DY', type: 'f32', data: ctx.data(dy) },
      { name: 'ARG', type: 'i32', data: ctx.data(argmax) },
      { name: 'DX', type: 'f32', write: true, data: dx },
    ],
    (p) => {
      const q = planes(p, h, w, ho, wo);
      return sliding ? slidingParams(window)(q) : q;
    },
    `${INPUT_COORDS}
  let at = h * P.W + w;
  var acc = 0.0;
  for (var oh = ${ranges[0]}; oh <= ${ranges[1]}; oh++) {
    for (var ow = ${ranges[2]}; ow <= ${ranges[3]}; ow++) {
      let q = (plane * P.Ho + oh) * P.Wo + ow;
      if (ARG[q] == at) { acc += DY[q]; }
    }
  }
  DX[i] = acc;`,
  );
  return output(dx, inputShape);
}
