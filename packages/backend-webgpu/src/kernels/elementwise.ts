import {
  type BinaryOp,
  broadcastShapes,
  type DType,
  sizeOf,
  type TensorInfo,
  type UnaryOp,
} from '@lowrank/core';
import { broadcastStrides, collapse } from '../dims.js';
import { addOffsets, wgslType } from '../wgsl.js';
import { type KernelContext, output, runFlat } from './context.js';
import { MATH_WGSL } from './math.js';

type Expr = (v: string) => string;

const FLOAT_UNARY: Record<UnaryOp, Expr> = {
  neg: (v) => `-${v}`,
  abs: (v) => `abs(${v})`,
  sign: (v) => `sign(${v})`,
  exp: (v) => `exp(${v})`,
  log: (v) => `log(${v})`,
  sqrt: (v) => `sqrt(${v})`,
  rsqrt: (v) => `1.0 / sqrt(${v})`,
  square: (v) => `${v} * ${v}`,
  reciprocal: (v) => `1.0 / ${v}`,
  sin: (v) => `sin(${v})`,
  cos: (v) => `cos(${v})`,
  floor: (v) => `floor(${v})`,
  ceil: (v) => `ceil(${v})`,
  round: (v) => `round(${v})`, // halves to even, as the CPU backend
  relu: (v) => `select(0.0, ${v}, ${v} > 0.0)`,
  sigmoid: (v) => `1.0 / (1.0 + exp(-${v}))`,
  // Clamped: some drivers' tanh overflows to NaN for large |x|; tanh(15) is 1 in f32.
  tanh: (v) => `tanh(clamp(${v}, -15.0, 15.0))`,
  gelu: (v) => `gelu(${v})`,
  geluGrad: (v) => `geluGrad(${v})`,
  erf: (v) => `erf_(${v})`,
};

/** The ops that keep int32 as int32 (as on the CPU); the rest compute in float32. */
const INT_UNARY: Partial<Record<UnaryOp, Expr>> = {
  neg: (v) => `-${v}`,
  abs: (v) => `abs(${v})`,
  sign: (v) => `sign(${v})`,
  square: (v) => `${v} * ${v}`,
  floor: (v) => v,
  ceil: (v) => v,
  round: (v) => v,
  relu: (v) => `max(${v}, 0)`,
};

type Expr2 = (a: string, b: string) => string;

const cmp =
  (op: string): Expr2 =>
  (a, b) =>
    `select(Z, O, ${a} ${op} ${b})`;

/** `Z` and `O` are 0 and 1 of the compute type (comparisons give 0/1 in it). */
const FLOAT_BINARY: Record<BinaryOp, Expr2> = {
  add: (a, b) => `${a} + ${b}`,
  sub: (a, b) => `${a} - ${b}`,
  mul: (a, b) => `${a} * ${b}`,
  div: (a, b) => `${a} / ${b}`,
  pow: (a, b) => `powF(${a}, ${b})`,
  maximum: (a, b) => `select(${b}, ${a}, ${a} >= ${b} || isNan(${a}))`,
  minimum: (a, b) => `select(${b}, ${a}, ${a} <= ${b} || isNan(${a}))`,
  equal: cmp('=='),
  notEqual: cmp('!='),
  less: cmp('<'),
  lessEqual: cmp('<='),
  greater: cmp('>'),
  greaterEqual: cmp('>='),
};

const INT_BINARY: Record<BinaryOp, Expr2> = {
  ...FLOAT_BINARY,
  pow: (a, b) => `powI(${a}, ${b})`,
  maximum: (a, b) => `max(${a}, ${b})`,
  minimum: (a, b) => `min(${a}, ${b})`,
};

export function unaryOutDtype(op: UnaryOp, dtype: DType): DType {
  return dtype === 'int32' && !INT_UNARY[op] ? 'float32' : dtype;
}

export function unary(ctx: KernelContext, x: TensorInfo, op: UnaryOp): TensorInfo {
  const outType = unaryOutDtype(op, x.dtype);
  const n = sizeOf(x.shape);
  const out = ctx.alloc(n, outType);
  const expr = outType === 'int32' ? INT_UNARY[op]!('v') : FLOAT_UNARY[op]('v');
  runFlat(
    ctx,
    `unary:${op}`,
    n,
    [
      { name: 'X', type: wgslType(x.dtype), data: ctx.data(x) },
      { name: 'Y', type: wgslType(outType), write: true, data: out },
    ],
    (p) => p,
    `  let v = ${wgslType(outType)}(X[i]);\n  Y[i] = ${expr};`,
    MATH_WGSL,
  );
  return output(out, x.shape);
}

export function cast(ctx: KernelContext, x: TensorInfo, dtype: DType): TensorInfo {
  const n = sizeOf(x.shape);
  const out = ctx.alloc(n, dtype);
  // JavaScript's int32 conversion truncates and maps NaN and infinities to 0.
  const expr =
    x.dtype !== 'int32' && dtype === 'int32'
      ? 'select(i32(v), 0, isNan(v) || isInf(v))'
      : `${wgslType(dtype)}(v)`;
  runFlat(
    ctx,
    'cast',
    n,
    [
      { name: 'X', type: wgslType(x.dtype), data: ctx.data(x) },
      { name: 'Y', type: wgslType(dtype), write: true, data: out },
    ],
    (p) => p,
    `  let v = X[i];\n  Y[i] = ${expr};`,
    MATH_WGSL,
  );
  return output(out, x.shape);
}

/** Types as the CPU backend: int32 / int32 is float32; mixed types are float32. */
export function binaryOutDtype(op: BinaryOp, a: DType, b: DType): DType {
  if (op === 'div' && a === 'int32' && b === 'int32') return 'float32';
  return a === b ? a : 'float32';
}

/**
 * Elementwise ops over the broadcast of their inputs: each input is read through
 * its broadcast strides (0 on broadcast axes) after collapsing mergeable axes.
 */
function broadcastLaunch(
  ctx: KernelContext,
  key: string,
  inputs: readonly { info: TensorInfo; name: string; type: string }[],
  outType: DType,
  body: (loads: string[]) => string,
): TensorInfo {
  let shape: number[] = [];
  for (const t of inputs) shape = broadcastShapes(shape, t.info.shape, key);
  const n = sizeOf(shape);
  const out = ctx.alloc(n, outType);
  const c = collapse(
    shape,
    inputs.map((t) => broadcastStrides(t.info.shape, shape)),
  );
  const rank = c.shape.length;
  const sets = inputs.map((t, k) => ({ acc: `o${t.name}`, strides: `s${k}_` }));
  const loads = inputs.map((t) => `${t.type}(${t.name}[o${t.name}])`);
  const code = [
    ...sets.map((s) => `  var ${s.acc} = 0;`),
    addOffsets('i', rank, 'd', sets),
    body(loads),
  ].join('\n');
  runFlat(
    ctx,
    `${key}:r${rank}`,
    n,
    [
      ...inputs.map((t) => ({ name: t.name, type: wgslType(t.info.dtype), data: ctx.data(t.info) })),
      { name: 'Y', type: wgslType(outType), write: true, data: out },
    ],
    (p) => c.strides.reduce((q, s, k) => q.i32s(`s${k}_`, s), p.i32s('d', c.shape)),
    code,
    MATH_WGSL,
  );
  return output(out, shape);
}

export function binary(ctx: KernelContext, a: TensorInfo, b: TensorInfo, op: BinaryOp): TensorInfo {
  const outType = binaryOutDtype(op, a.dtype, b.dtype);
  const t = wgslType(outType);
  const expr = (outType === 'int32' ? INT_BINARY : FLOAT_BINARY)[op]('a', 'b');
  return broadcastLaunch(
    ctx,
    `binary:${op}`,
    [
      { info: a, name: 'A', type: t },
      { info: b, name: 'B', type: t },
    ],
    outType,
    ([la, lb]) =>
      `  let a = ${la};\n  let b = ${lb};\n  let Z = ${t}(0);\n  let O = ${t}(1);\n  Y[i] = ${expr};`,
  );
}

/** cond, a, b -> a where cond != 0, else b; in the promoted dtype of a and b. */
export function where(ctx: KernelContext, c: TensorInfo, a: TensorInfo, b: TensorInfo): TensorInfo {
  const dtype = a.dtype === b.dtype ? a.dtype : 'float32';
  const t = wgslType(dtype);
  return broadcastLaunch(
    ctx,
    'where',
    [
      { info: c, name: 'C', type: wgslType(c.dtype) },
      { info: a, name: 'A', type: t },
      { info: b, name: 'B', type: t },
    ],
    dtype,
    ([lc, la, lb]) => `  Y[i] = select(${lb}, ${la}, ${lc} != ${wgslType(c.dtype)}(0));`,
  );
}
