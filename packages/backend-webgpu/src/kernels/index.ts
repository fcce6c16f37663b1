import type { KernelAttrs, KernelName, TensorInfo } from '@lowrank/core';
import type { KernelContext } from './context.js';
import { conv2d, conv2dGradFilter, conv2dGradInput } from './conv.js';
import { binary, cast, unary, where } from './elementwise.js';
import { matmul } from './matmul.js';
import * as mv from './movement.js';
import * as pool from './pool.js';
import { argReduce, reduce } from './reduce.js';

type Impl<K extends KernelName> = (
  ctx: KernelContext,
  inputs: readonly TensorInfo[],
  attrs: KernelAttrs[K],
) => TensorInfo[];

/** Convolution and pooling read float32 only (as on the CPU backend); `count` leading inputs are checked. */
function floats<K extends KernelName>(name: K, impl: Impl<K>, count = 2): Impl<K> {
  return (ctx, inputs, attrs) => {
    for (const t of inputs.slice(0, count)) {
      if (t.dtype !== 'float32')
        throw new TypeError(`${name}: ${t.dtype} input is not supported; cast to float32`);
    }
    return impl(ctx, inputs, attrs);
  };
}

/** Every kernel of core's contract, by name. */
export const KERNELS: { [K in KernelName]: Impl<K> } = {
  unary: (ctx, [x], { op }) => [unary(ctx, x, op)],
  binary: (ctx, [a, b], { op }) => [binary(ctx, a, b, op)],
  where: (ctx, [c, a, b]) => [where(ctx, c, a, b)],
  cast: (ctx, [x], { dtype }) => [cast(ctx, x, dtype)],
  reduce: (ctx, [x], { op, axes }) => [reduce(ctx, x, op, axes)],
  argReduce: (ctx, [x], { op, axis }) => [argReduce(ctx, x, op, axis)],
  transpose: (ctx, [x], { perm }) => [mv.transpose(ctx, x, perm)],
  slice: (ctx, [x], { begin, step, shape }) => [mv.slice(ctx, x, begin, step, shape)],
  sliceGrad: (ctx, [dy], { inputShape, begin, step }) => [mv.sliceGrad(ctx, dy, inputShape, begin, step)],
  pad: (ctx, [x], { paddings, value }) => [mv.pad(ctx, x, paddings, value)],
  concat: (ctx, xs, { axis }) => [mv.concat(ctx, xs, axis)],
  gather: (ctx, [x, indices], { axis }) => [mv.gather(ctx, x, indices, axis)],
  gatherGrad: (ctx, [dy, indices], { axis, inputShape }) => [
    mv.gatherGrad(ctx, dy, indices, axis, inputShape),
  ],
  broadcastTo: (ctx, [x], { shape }) => [mv.broadcastTo(ctx, x, shape)],
  oneHot: (ctx, [indices], { depth, dtype }) => [mv.oneHot(ctx, indices, depth, dtype)],
  matmul: (ctx, [a, b], { transA, transB }) => [matmul(ctx, a, b, transA, transB)],
  conv2d: floats('conv2d', (ctx, [x, w], attrs) => [conv2d(ctx, x, w, attrs)]),
  conv2dGradInput: floats('conv2dGradInput', (ctx, [dy, w], attrs) => [conv2dGradInput(ctx, dy, w, attrs)]),
  conv2dGradFilter: floats('conv2dGradFilter', (ctx, [x, dy], attrs) => [
    conv2dGradFilter(ctx, x, dy, attrs),
  ]),
  maxPool2d: floats('maxPool2d', (ctx, [x], attrs) => pool.maxPool2d(ctx, x, attrs)),
  avgPool2d: floats('avgPool2d', (ctx, [x], attrs) => [pool.avgPool2d(ctx, x, attrs)]),
  avgPool2dGrad: floats('avgPool2dGrad', (ctx, [dy], attrs) => [pool.avgPool2dGrad(ctx, dy, attrs)]),
  adaptiveAvgPool2d: floats('adaptiveAvgPool2d', (ctx, [x], { outSize }) => [
    pool.adaptiveAvgPool2d(ctx, x, outSize),
  ]),
  adaptiveAvgPool2dGrad: floats('adaptiveAvgPool2dGrad', (ctx, [dy], { outSize, inputShape }) => [
    pool.adaptiveAvgPool2dGrad(ctx, dy, outSize, inputShape),
  ]),
  adaptiveMaxPool2d: floats('adaptiveMaxPool2d', (ctx, [x], { outSize }) =>
    pool.adaptiveMaxPool2d(ctx, x, outSize),
  ),
  poolScatter: floats(
    'poolScatter',
    (ctx, [dy, argmax], { inputShape, window }) => [pool.poolScatter(ctx, dy, argmax, inputShape, window)],
    1,
  ),
};
