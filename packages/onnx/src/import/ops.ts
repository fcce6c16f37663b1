import {
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  add,
  avgPool2d,
  concat,
  div,
  type Engine,
  erf,
  greater,
  logSoftmax,
  matmul,
  maximum,
  maxPool2d,
  minimum,
  mul,
  type nn,
  relu,
  sigmoid,
  softmax,
  sub,
  type Tensor,
  tanh,
  transpose,
  where,
} from '@lowrank/core';
import { floatOf, IntValue, intBinary, type Value } from './values.js';

/** What an operator sees of its node: attributes, inputs (undefined where omitted) and context. */
export interface OpContext {
  engine: Engine;
  dtype: 'float32' | 'float64';
  opset: number;
  /** `Node '<name>' (<opType>)`, to start error messages. */
  where: string;
  attributes: Readonly<Record<string, nn.OnnxAttributeValue>>;
}

type OpKernel = (c: OpContext, inputs: readonly (Value | undefined)[]) => Value;

function int(c: OpContext, name: string, fallback: number): number {
  const a = c.attributes[name];
  if (a === undefined) return fallback;
  if (!('int' in a)) throw new Error(`${c.where}: attribute '${name}' must be an int`);
  return a.int;
}

function float(c: OpContext, name: string, fallback: number): number {
  const a = c.attributes[name];
  if (a === undefined) return fallback;
  if (!('float' in a)) throw new Error(`${c.where}: attribute '${name}' must be a float`);
  return a.float;
}

function ints(c: OpContext, name: string): readonly number[] | undefined {
  const a = c.attributes[name];
  if (a === undefined) return undefined;
  if (!('ints' in a)) throw new Error(`${c.where}: attribute '${name}' must be a list of ints`);
  return a.ints;
}

function string(c: OpContext, name: string, fallback: string): string {
  const a = c.attributes[name];
  if (a === undefined) return fallback;
  if (!('string' in a)) throw new Error(`${c.where}: attribute '${name}' must be a string`);
  return a.string;
}

function tensor(c: OpContext, v: Value | undefined, index: number): Tensor {
  if (v === undefined) throw new Error(`${c.where}: input ${index} is missing`);
  return floatOf(c.engine, v, c.dtype);
}

function intValue(c: OpContext, v: Value | undefined, what: string): IntValue {
  if (v instanceof IntValue) return v;
  throw new Error(
    `${c.where}: ${what} must be a constant integer tensor (an initializer, a Constant or computed from Shape); a float tensor computed by the graph cannot be used`,
  );
}

const SUPPORTED_PADDING = ['NOTSET', 'VALID'];

/** Kernel, stride, pads (core order), dilation of a Conv/pool node; rejects what core cannot run. */
export function windowAttributes(c: OpContext, kernel: readonly number[]) {
  const autoPad = string(c, 'auto_pad', 'NOTSET');
  if (!SUPPORTED_PADDING.includes(autoPad)) {
    throw new Error(`${c.where}: auto_pad=${autoPad} is not supported (NOTSET with explicit pads, or VALID)`);
  }
  if (kernel.length !== 2)
    throw new Error(`${c.where}: only 2-d windows are supported, got kernel_shape [${kernel}]`);
  if (int(c, 'ceil_mode', 0) !== 0) throw new Error(`${c.where}: ceil_mode=1 is not supported`);
  const pads = ints(c, 'pads') ?? [0, 0, 0, 0];
  const stride = ints(c, 'strides') ?? [1, 1];
  const dilation = ints(c, 'dilations') ?? [1, 1];
  return {
    kernel: [kernel[0], kernel[1]] as [number, number],
    stride: [stride[0], stride[1]] as [number, number],
    // ONNX: [top, left, bottom, right]; core: [top, bottom, left, right].
    padding: [pads[0], pads[2], pads[1], pads[3]] as [number, number, number, number],
    dilation: [dilation[0], dilation[1]] as [number, number],
  };
}

function axis(axisValue: number, rank: number, c: OpContext): number {
  const a = axisValue < 0 ? axisValue + rank : axisValue;
  if (a < 0 || a >= rank) throw new Error(`${c.where}: axis ${axisValue} is out of range for rank ${rank}`);
  return a;
}

function elementwise(f: (a: Tensor, b: Tensor) => Tensor, g: (a: number, b: number) => number): OpKernel {
  return (c, [a, b]) =>
    a instanceof IntValue && b instanceof IntValue
      ? intBinary(a, b, g, c.where)
      : f(tensor(c, a, 0), tensor(c, b, 1));
}

function unary(f: (x: Tensor) => Tensor): OpKernel {
  return (c, [x]) => f(tensor(c, x, 0));
}

function passThrough(c: OpContext, [x]: readonly (Value | undefined)[]): Value {
  if (x === undefined) throw new Error(`${c.where}: input 0 is missing`);
  return x instanceof IntValue ? x : x.reshape(x.shape);
}

function shapeOf(v: Value): readonly number[] {
  return v instanceof IntValue ? v.dims : v.shape;
}

/** A new shape for a Value (no copy). */
function reshaped(v: Value, dims: readonly number[]): Value {
  return v instanceof IntValue ? new IntValue(dims, v.values) : v.reshape(dims);
}

function softmaxLike(f: (x: Tensor, axis: number) => Tensor): OpKernel {
  return (c, [x]) => {
    const t = tensor(c, x, 0);
    const a = axis(int(c, 'axis', c.opset >= 13 ? -1 : 1), t.rank, c);
    // Before opset 13 the op flattened the axes from `axis` on; that equals the one-axis
    // softmax only when `axis` is the last one.
    if (c.opset < 13 && a !== t.rank - 1) {
      throw new Error(
        `${c.where}: before opset 13 this op normalises over axes ${a}.. together, which is supported only for the last axis`,
      );
    }
    return f(t, a);
  };
}

function unsqueezeAxes(c: OpContext, inputs: readonly (Value | undefined)[]): readonly number[] {
  const fromInput = inputs[1];
  const axes =
    c.opset >= 13 && fromInput !== undefined ? intValue(c, fromInput, 'axes').values : ints(c, 'axes');
  if (axes === undefined) throw new Error(`${c.where}: axes are missing`);
  return axes;
}

/** The operators OnnxGraph runs (besides the layer nodes), by op_type. */
export const OPS: Readonly<Record<string, OpKernel>> = {
  Add: elementwise(add, (a, b) => a + b),
  Sub: elementwise(sub, (a, b) => a - b),
  Mul: elementwise(mul, (a, b) => a * b),
  Div: elementwise(div, (a, b) => Math.trunc(a / b)),
  Relu: unary(relu),
  Sigmoid: unary(sigmoid),
  Tanh: unary(tanh),
  Erf: unary(erf),
  LeakyRelu: (c, [x]) => {
    const t = tensor(c, x, 0);
    const alpha = float(c, 'alpha', 0.01);
    return c.engine.tidy(() => where(greater(t, 0), t, mul(t, alpha)));
  },
  Clip: (c, [x, lo, hi]) =>
    c.engine.tidy(() => {
      // Opset 11 moved the bounds from attributes to (optional) inputs.
      const bound = (v: Value | undefined, name: string): Tensor | number | undefined => {
        if (c.opset < 11) return c.attributes[name] === undefined ? undefined : float(c, name, 0);
        return v === undefined ? undefined : tensor(c, v, name === 'min' ? 1 : 2);
      };
      const low = bound(lo, 'min');
      const high = bound(hi, 'max');
      let y = tensor(c, x, 0);
      if (low !== undefined) y = maximum(y, low);
      if (high !== undefined) y = minimum(y, high);
      return y === x ? y.reshape(y.shape) : y;
    }),
  Softmax: softmaxLike(softmax),
  LogSoftmax: softmaxLike(logSoftmax),
  Identity: passThrough,
  Dropout: passThrough,
  MaxPool: (c, [x]) => {
    const w = windowAttributes(c, ints(c, 'kernel_shape') ?? []);
    if (int(c, 'storage_order', 0) !== 0) throw new Error(`${c.where}: storage_order=1 is not supported`);
    return maxPool2d(tensor(c, x, 0), w.kernel, w);
  },
  AveragePool: (c, [x]) => {
    const w = windowAttributes(c, ints(c, 'kernel_shape') ?? []);
    if (w.dilation.some((d) => d !== 1))
      throw new Error(`${c.where}: dilated average pooling is not supported`);
    return avgPool2d(tensor(c, x, 0), w.kernel, {
      stride: w.stride,
      padding: w.padding,
      countIncludePad: int(c, 'count_include_pad', 0) === 1,
    });
  },
  GlobalAveragePool: (c, [x]) => adaptiveAvgPool2d(tensor(c, x, 0), 1),
  GlobalMaxPool: (c, [x]) => adaptiveMaxPool2d(tensor(c, x, 0), 1),
  Flatten: (c, [x]) => {
    if (x === undefined) throw new Error(`${c.where}: input 0 is missing`);
    const dims = shapeOf(x);
    const a = int(c, 'axis', 1);
    const at = a < 0 ? a + dims.length : a;
    if (at < 0 || at > dims.length)
      throw new Error(`${c.where}: axis ${a} is out of range for rank ${dims.length}`);
    const outer = dims.slice(0, at).reduce((p, d) => p * d, 1);
    return reshaped(x, [outer, dims.slice(at).reduce((p, d) => p * d, 1)]);
  },
  Reshape: (c, [x, shape]) => {
    if (x === undefined) throw new Error(`${c.where}: input 0 is missing`);
    if (int(c, 'allowzero', 0) !== 0) throw new Error(`${c.where}: allowzero=1 is not supported`);
    const dims = shapeOf(x);
    // 0 copies the input's size on that axis.
    const target = intValue(c, shape, 'the shape input').values.map((d, i) => (d === 0 ? dims[i] : d));
    const known = target.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    const size = dims.reduce((p, d) => p * d, 1);
    const resolved = target.map((d) => (d === -1 ? size / known : d));
    if (resolved.reduce((p, d) => p * d, 1) !== size || !resolved.every(Number.isInteger)) {
      throw new Error(`${c.where}: cannot reshape [${dims}] into [${target}]`);
    }
    return reshaped(x, resolved);
  },
  Transpose: (c, [x]) => {
    const t = tensor(c, x, 0);
    const perm = ints(c, 'perm') ?? t.shape.map((_, i) => t.rank - 1 - i);
    return transpose(t, perm);
  },
  Concat: (c, inputs) => {
    const values = inputs.filter((v): v is Value => v !== undefined);
    if (values.length === 0) throw new Error(`${c.where}: no inputs`);
    if (values.every((v) => v instanceof IntValue)) {
      const all = values as IntValue[];
      if (all.some((v) => v.dims.length !== 1))
        throw new Error(`${c.where}: integer Concat is supported for 1-d tensors only`);
      const joined = all.flatMap((v) => [...v.values]);
      return new IntValue([joined.length], joined);
    }
    const ts = values.map((v, i) => tensor(c, v, i));
    return concat(ts, axis(int(c, 'axis', 0), ts[0].rank, c));
  },
  MatMul: (c, [a, b]) => matmul(tensor(c, a, 0), tensor(c, b, 1)),
  Gemm: (c, [a, b, bias]) => {
    const alpha = float(c, 'alpha', 1);
    const beta = float(c, 'beta', 1);
    return c.engine.tidy(() => {
      let y = matmul(tensor(c, a, 0), tensor(c, b, 1), {
        transA: int(c, 'transA', 0) === 1,
        transB: int(c, 'transB', 0) === 1,
      });
      if (alpha !== 1) y = mul(y, alpha);
      if (bias !== undefined) y = add(y, beta === 1 ? tensor(c, bias, 2) : mul(tensor(c, bias, 2), beta));
      return y;
    });
  },
  Shape: (c, [x]) => {
    if (x === undefined) throw new Error(`${c.where}: input 0 is missing`);
    const dims = shapeOf(x);
    const start = int(c, 'start', 0);
    const end = int(c, 'end', dims.length);
    const picked = dims.slice(start < 0 ? start + dims.length : start, end < 0 ? end + dims.length : end);
    return new IntValue([picked.length], picked);
  },
  Gather: (c, [x, indices]) => {
    const data = intValue(c, x, 'the data input (Gather on float tensors is not supported)');
    const idx = intValue(c, indices, 'the indices');
    if (data.dims.length !== 1)
      throw new Error(`${c.where}: Gather is supported on 1-d integer tensors only`);
    const n = data.values.length;
    return new IntValue(
      idx.dims,
      idx.values.map((i) => {
        const j = i < 0 ? i + n : i;
        if (j < 0 || j >= n) throw new Error(`${c.where}: index ${i} is out of range for ${n} values`);
        return data.values[j];
      }),
    );
  },
  Unsqueeze: (c, inputs) => {
    const x = inputs[0];
    if (x === undefined) throw new Error(`${c.where}: input 0 is missing`);
    const dims = [...shapeOf(x)];
    const axes = unsqueezeAxes(c, inputs);
    const rank = dims.length + axes.length;
    // Inserting in increasing order puts each 1 at its index in the output.
    for (const a of axes.map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q)) dims.splice(a, 0, 1);
    return reshaped(x, dims);
  },
  Squeeze: (c, inputs) => {
    const x = inputs[0];
    if (x === undefined) throw new Error(`${c.where}: input 0 is missing`);
    const dims = shapeOf(x);
    const given =
      c.opset >= 13
        ? inputs[1] === undefined
          ? undefined
          : intValue(c, inputs[1], 'axes').values
        : ints(c, 'axes');
    const axes = new Set(
      (given ?? dims.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => (a < 0 ? a + dims.length : a)),
    );
    return reshaped(
      x,
      dims.filter((_, i) => !axes.has(i)),
    );
  },
};

/** Ops run by child modules when their weights are constant. */
export const LAYER_OPS = ['Conv', 'Gemm', 'MatMul', 'BatchNormalization'] as const;

/** Every op_type OnnxGraph can run, for error messages. */
export function supportedOps(): string[] {
  return [...new Set([...LAYER_OPS, ...Object.keys(OPS), 'Constant'])].sort();
}
