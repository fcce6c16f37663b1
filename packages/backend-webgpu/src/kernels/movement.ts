import { type DType, sizeOf, type TensorInfo } from '@lowrank/core';
import { broadcastStrides, stridesOf } from '../dims.js';
import { wgslType } from '../wgsl.js';
import { type KernelContext, output, runFlat } from './context.js';
import { copyStrided, fill } from './copy.js';

export function transpose(ctx: KernelContext, x: TensorInfo, perm: readonly number[]): TensorInfo {
  const shape = perm.map((p) => x.shape[p]);
  const strides = stridesOf(x.shape);
  const out = ctx.alloc(sizeOf(shape), x.dtype);
  copyStrided(
    ctx,
    shape,
    { data: ctx.data(x), base: 0, strides: perm.map((p) => strides[p]) },
    { data: out, base: 0, strides: stridesOf(shape) },
  );
  return output(out, shape);
}

/** Offset of `begin` and the strides of a stepped window in a tensor of `shape`. */
function window(
  shape: readonly number[],
  begin: readonly number[],
  step: readonly number[],
): { base: number; strides: number[] } {
  const strides = stridesOf(shape);
  return {
    base: begin.reduce((s, b, i) => s + b * strides[i], 0),
    strides: strides.map((s, i) => s * step[i]),
  };
}

export function slice(
  ctx: KernelContext,
  x: TensorInfo,
  begin: readonly number[],
  step: readonly number[],
  shape: readonly number[],
): TensorInfo {
  const out = ctx.alloc(sizeOf(shape), x.dtype);
  copyStrided(
    ctx,
    shape,
    { data: ctx.data(x), ...window(x.shape, begin, step) },
    { data: out, base: 0, strides: stridesOf(shape) },
  );
  return output(out, shape);
}

export function sliceGrad(
  ctx: KernelContext,
  dy: TensorInfo,
  inputShape: readonly number[],
  begin: readonly number[],
  step: readonly number[],
): TensorInfo {
  const out = ctx.alloc(sizeOf(inputShape), dy.dtype);
  fill(ctx, out, 0);
  // A window's positions are distinct, so a plain copy into it is the scatter-add.
  copyStrided(
    ctx,
    dy.shape,
    { data: ctx.data(dy), base: 0, strides: stridesOf(dy.shape) },
    { data: out, ...window(inputShape, begin, step) },
  );
  return output(out, inputShape);
}

export function pad(
  ctx: KernelContext,
  x: TensorInfo,
  paddings: readonly (readonly [number, number])[],
  value: number,
): TensorInfo {
  const shape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  const out = ctx.alloc(sizeOf(shape), x.dtype);
  fill(ctx, out, value);
  const begin = paddings.map(([before]) => before);
  copyStrided(
    ctx,
    x.shape,
    { data: ctx.data(x), base: 0, strides: stridesOf(x.shape) },
    {
      data: out,
      ...window(
        shape,
        begin,
        shape.map(() => 1),
      ),
    },
  );
  return output(out, shape);
}

export function concat(ctx: KernelContext, xs: readonly TensorInfo[], axis: number): TensorInfo {
  const dtype = xs[0].dtype;
  for (const x of xs)
    if (x.dtype !== dtype) throw new TypeError(`concat: mixed dtypes ${dtype} and ${x.dtype}`);
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
  const out = ctx.alloc(sizeOf(shape), dtype);
  const outStrides = stridesOf(shape);
  let offset = 0;
  for (const x of xs) {
    copyStrided(
      ctx,
      x.shape,
      { data: ctx.data(x), base: 0, strides: stridesOf(x.shape) },
      { data: out, base: offset * outStrides[axis], strides: outStrides },
    );
    offset += x.shape[axis];
  }
  return output(out, shape);
}

export function broadcastTo(ctx: KernelContext, x: TensorInfo, shape: readonly number[]): TensorInfo {
  const out = ctx.alloc(sizeOf(shape), x.dtype);
  copyStrided(
    ctx,
    shape,
    { data: ctx.data(x), base: 0, strides: broadcastStrides(x.shape, shape) },
    { data: out, base: 0, strides: stridesOf(shape) },
  );
  return output(out, shape);
}

/** [outer, n, inner] around `axis`. */
function around(shape: readonly number[], axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

/** Out-of-range indices give 0 (a kernel cannot throw; the CPU backend does). */
export function gather(ctx: KernelContext, x: TensorInfo, indices: TensorInfo, axis: number): TensorInfo {
  const [, n, inner] = around(x.shape, axis);
  const m = sizeOf(indices.shape);
  const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  const out = ctx.alloc(sizeOf(shape), x.dtype);
  runFlat(
    ctx,
    'gather',
    out.size,
    [
      { name: 'X', type: 'u32', data: ctx.data(x) },
      { name: 'I', type: 'i32', data: ctx.data(indices) },
      { name: 'Y', type: 'u32', write: true, data: out },
    ],
    (p) => p.i32('len', n).i32('m', m).i32('inner', inner),
    `  let t = i % P.inner;
  let j = (i / P.inner) % P.m;
  let o = i / (P.inner * P.m);
  let k = I[j];
  let v = X[(o * P.len + clamp(k, 0, P.len - 1)) * P.inner + t];
  Y[i] = select(0u, v, k >= 0 && k < P.len);`,
  );
  return output(out, shape);
}

/**
 * Each dx element sums the dy entries whose index points at it, looping over the
 * indices: deterministic and without float atomics, at m reads per element.
 */
export function gatherGrad(
  ctx: KernelContext,
  dy: TensorInfo,
  indices: TensorInfo,
  axis: number,
  inputShape: readonly number[],
): TensorInfo {
  const [, n, inner] = around(inputShape, axis);
  const m = sizeOf(indices.shape);
  const out = ctx.alloc(sizeOf(inputShape), dy.dtype);
  const t = wgslType(dy.dtype);
  runFlat(
    ctx,
    'gatherGrad',
    out.size,
    [
      { name: 'DY', type: t, data: ctx.data(dy) },
      { name: 'I', type: 'i32', data: ctx.data(indices) },
      { name: 'DX', type: t, write: true, data: out },
    ],
    (p) => p.i32('len', n).i32('m', m).i32('inner', inner),
    `  let t = i % P.inner;
  let k = (i / P.inner) % P.len;
  let o = i / (P.inner * P.len);
  var acc = ${t}(0);
  for (var j = 0; j < P.m; j++) {
    if (I[j] == k) { acc += DY[(o * P.m + j) * P.inner + t]; }
  }
  DX[i] = acc;`,
  );
  return output(out, inputShape);
}

export function oneHot(ctx: KernelContext, indices: TensorInfo, depth: number, dtype: DType): TensorInfo {
  const shape = [...indices.shape, depth];
  const out = ctx.alloc(sizeOf(shape), dtype);
  const t = wgslType(dtype);
  runFlat(
    ctx,
    'oneHot',
    out.size,
    [
      { name: 'I', type: 'i32', data: ctx.data(indices) },
      { name: 'Y', type: t, write: true, data: out },
    ],
    (p) => p.i32('depth', depth),
    `  Y[i] = select(${t}(0), ${t}(1), I[i / P.depth] == i % P.depth);`,
  );
  return output(out, shape);
}
