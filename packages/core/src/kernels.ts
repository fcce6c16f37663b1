import type { DType } from './dtype.js';

/**
 * The kernel contract between core and the backends: every op in core lowers to these
 * kernels, and a backend implements them by name. Attributes are plain data so that a
 * GPU backend can key its pipeline cache on them.
 */
export const UNARY_OPS = [
  'neg',
  'abs',
  'sign',
  'exp',
  'log',
  'sqrt',
  'rsqrt',
  'square',
  'reciprocal',
  'sin',
  'cos',
  'floor',
  'ceil',
  'round',
  'relu',
  'sigmoid',
  'tanh',
  'gelu',
  'geluGrad',
  'erf',
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

export const BINARY_OPS = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'equal',
  'notEqual',
  'less',
  'lessEqual',
  'greater',
  'greaterEqual',
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

export const REDUCE_OPS = ['sum', 'max', 'min', 'prod'] as const;
export type ReduceOp = (typeof REDUCE_OPS)[number];

export interface Conv2dAttrs {
  stride: [number, number];
  /** [top, bottom, left, right] */
  padding: [number, number, number, number];
  dilation: [number, number];
  groups: number;
}

export interface Pool2dAttrs {
  kernel: [number, number];
  stride: [number, number];
  /** [top, bottom, left, right] */
  padding: [number, number, number, number];
  dilation: [number, number];
}

/** Kernel name -> attributes. Inputs and outputs are documented beside each entry. */
export interface KernelAttrs {
  /** x -> y, same shape */
  unary: { op: UnaryOp };
  /** a, b -> broadcast(a, b); comparisons give 0/1 in the promoted dtype */
  binary: { op: BinaryOp };
  /** cond, a, b -> broadcast of the three in the promoted dtype of a and b; picks a where cond != 0 */
  where: Record<string, never>;
  /** x -> x reduced over `axes` (sorted), keepDims false */
  reduce: { op: ReduceOp; axes: number[] };
  /** x -> int32 indices of the extreme along `axis` (removed); first occurrence wins */
  argReduce: { op: 'argmax' | 'argmin'; axis: number };
  cast: { dtype: DType };
  /** x -> x permuted */
  transpose: { perm: number[] };
  /** x -> strided window; negative steps allowed */
  slice: { begin: number[]; step: number[]; shape: number[] };
  /** dy -> zeros(inputShape) with dy written at the window of `slice` */
  sliceGrad: { inputShape: number[]; begin: number[]; step: number[] };
  pad: { paddings: [number, number][]; value: number };
  /** x_1..x_n -> concatenation along `axis` */
  concat: { axis: number };
  /** x, indices(int32) -> x.shape[:axis] + indices.shape + x.shape[axis+1:] */
  gather: { axis: number };
  /** dy, indices -> zeros of x.shape with dy added at the gathered positions */
  gatherGrad: { axis: number; inputShape: number[] };
  broadcastTo: { shape: number[] };
  /** indices(int32) -> one-hot rows of `depth` in `dtype` */
  oneHot: { depth: number; dtype: DType };
  /** a [...batchA, m, k], b [...batchB, k, n] (after optional transposes) -> [...batch, m, n] */
  matmul: { transA: boolean; transB: boolean };
  /** x [N, C, H, W], w [O, C/groups, Kh, Kw] -> y [N, O, Ho, Wo] */
  conv2d: Conv2dAttrs;
  /** dy, w -> dx */
  conv2dGradInput: Conv2dAttrs & { inputShape: number[] };
  /** x, dy -> dw */
  conv2dGradFilter: Conv2dAttrs & { filterShape: number[] };
  /** x -> y, argmax(int32, flat index into each [H, W] plane) */
  maxPool2d: Pool2dAttrs;
  avgPool2d: Pool2dAttrs & { countIncludePad: boolean };
  avgPool2dGrad: Pool2dAttrs & { countIncludePad: boolean; inputShape: number[] };
  adaptiveAvgPool2d: { outSize: [number, number] };
  adaptiveAvgPool2dGrad: { outSize: [number, number]; inputShape: number[] };
  /** x -> y, argmax like maxPool2d */
  adaptiveMaxPool2d: { outSize: [number, number] };
  /**
   * dy, argmax -> dx: scatters each dy into its plane at argmax. `window` is the pooling
   * that made argmax (maxPool2d's attributes or adaptiveMaxPool2d's output size): a
   * backend may visit only the windows that can cover each input position, so argmax
   * must lie in its window.
   */
  poolScatter: { inputShape: number[]; window: Pool2dAttrs | { outSize: [number, number] } };
}

export type KernelName = keyof KernelAttrs;

/**
 * Fused kernels a backend may implement beside the required ones (`Backend.optionalKernels`).
 * Each stands for a composite of required kernels, which core runs where a backend lacks it.
 */
export interface OptionalKernelAttrs {
  /**
   * Training-mode batch normalisation over every axis but 1 of x [N, C, ...]:
   * x, weight [C], bias [C] (both present or both absent, as `affine`) -> y, batch mean [C],
   * biased batch variance [C]; y = (x - mean) / sqrt(var + eps) * weight + bias.
   */
  batchNorm: { eps: number; affine: boolean };
  /** dy, x, mean, var, weight [C] (when `affine`) -> dx, and dweight, dbias when `affine` (first order) */
  batchNormGrad: { eps: number; affine: boolean };
  /** x, w, bias [O] (one float dtype) -> conv2d(x, w) + bias per output channel, in one pass over y */
  conv2dBias: Conv2dAttrs;
  /** dy, x (same shape and float dtype) -> dy where x > 0, else dy * 0: relu's gradient, mul(dy, greater(x, 0)) */
  reluGrad: Record<string, never>;
}

export type OptionalKernelName = keyof OptionalKernelAttrs;
