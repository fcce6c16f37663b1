import { type DType, isFloat } from '../dtype.js';
import type { BinaryOp, UnaryOp } from '../kernels.js';
import { broadcastedAxes, broadcastShapes, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';

/** Numbers in binary ops become scalars of the other operand's dtype. */
export type TensorOrNumber = Tensor | number;

function unary(op: UnaryOp, x: Tensor, grad?: (dy: Tensor, x: Tensor, y: Tensor) => Tensor): Tensor {
  return x.engine.runKernel(
    'unary',
    [x],
    { op },
    grad && ((dys, saved) => [grad(dys[0], saved.inputs[0], saved.outputs[0])]),
    { inputs: grad !== undefined, outputs: grad !== undefined },
  )[0];
}

/** Sums a broadcast gradient back to the shape of the operand it flowed from. */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const axes = broadcastedAxes(shape, g.shape);
  return reshape(sum(g, axes), shape);
}

/** A number becomes a scalar of the tensor's dtype, or float32 when it is fractional and the tensor int32. */
function toTensor(v: TensorOrNumber, like: Tensor): Tensor {
  if (typeof v !== 'number') return v;
  const dtype = like.dtype === 'int32' && !Number.isInteger(v) ? 'float32' : like.dtype;
  return like.engine.scalar(v, dtype);
}

function binary(
  op: BinaryOp,
  a: TensorOrNumber,
  b: TensorOrNumber,
  grad?: (
    dy: Tensor,
    a: Tensor,
    b: Tensor,
    y: Tensor,
    needed: readonly boolean[],
  ) => [Tensor | null, Tensor | null],
): Tensor {
  if (typeof a === 'number' && typeof b === 'number') {
    throw new TypeError(`${op}: at least one operand must be a tensor`);
  }
  const ta = typeof a === 'number' ? toTensor(a, b as Tensor) : a;
  const tb = typeof b === 'number' ? toTensor(b, ta) : b;
  broadcastShapes(ta.shape, tb.shape, op);
  const out = ta.engine.runKernel(
    'binary',
    [ta, tb],
    { op },
    grad &&
      ((dys, saved, needed) => {
        const [ga, gb] = grad(dys[0], saved.inputs[0], saved.inputs[1], saved.outputs[0], needed);
        return [
          ga && needed[0] ? sumToShape(ga, ta.shape) : null,
          gb && needed[1] ? sumToShape(gb, tb.shape) : null,
        ];
      }),
    { inputs: grad !== undefined, outputs: op === 'pow' },
  )[0];
  // Scalars made from numbers are temporaries (the graph keeps its own reference).
  if (ta !== a) ta.dispose();
  if (tb !== b) tb.dispose();
  return out;
}

export const add = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary('add', a, b, (dy) => [dy, dy]);
export const sub = (a: TensorOrNumber, b: TensorOrNumber): Tensor =>
  binary('sub', a, b, (dy) => [dy, neg(dy)]);
export const mul = (a: TensorOrNumber, b: TensorOrNumber): Tensor =>
  binary('mul', a, b, (dy, x, y, _, needed) => [
    needed[0] ? mul(dy, y) : null,
    needed[1] ? mul(dy, x) : null,
  ]);
export const div = (a: TensorOrNumber, b: TensorOrNumber): Tensor =>
  binary('div', a, b, (dy, x, y, _, needed) => [
    needed[0] ? div(dy, y) : null,
    needed[1] ? neg(div(mul(dy, x), square(y))) : null,
  ]);
/** a^b; the gradient for b uses log(a) and is taken only where a > 0. */
export const pow = (a: TensorOrNumber, b: TensorOrNumber): Tensor =>
  binary('pow', a, b, (dy, x, e, y) => [
    mul(dy, mul(e, pow(x, sub(e, 1)))),
    mul(dy, mul(y, log(where(greater(x, 0), x, 1)))),
  ]);
/** Elementwise maximum; ties send the gradient to `a`. */
export const maximum = (a: TensorOrNumber, b: TensorOrNumber): Tensor =>
  binary('maximum', a, b, (dy, x, y) => {
    const mask = greaterEqual(x, y);
    return [mul(dy, mask), mul(dy, sub(1, mask))];
  });
/** Elementwise minimum; ties send the gradient to `a`. */
export const minimum = (a: TensorOrNumber, b: TensorOrNumber): Tensor =>
  binary('minimum', a, b, (dy, x, y) => {
    const mask = lessEqual(x, y);
    return [mul(dy, mask), mul(dy, sub(1, mask))];
  });

// Comparisons give 0/1 in the promoted dtype and pass no gradient.
export const equal = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary('equal', a, b);
export const notEqual = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary('notEqual', a, b);
export const less = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary('less', a, b);
export const lessEqual = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary('lessEqual', a, b);
export const greater = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary('greater', a, b);
export const greaterEqual = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary('greaterEqual', a, b);

export const neg = (x: Tensor): Tensor => unary('neg', x, (dy) => neg(dy));
export const abs = (x: Tensor): Tensor => unary('abs', x, (dy, x) => mul(dy, sign(x)));
export const sign = (x: Tensor): Tensor => unary('sign', x);
export const exp = (x: Tensor): Tensor => unary('exp', x, (dy, _x, y) => mul(dy, y));
export const log = (x: Tensor): Tensor => unary('log', x, (dy, x) => div(dy, x));
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x, (dy, _x, y) => div(dy, mul(y, 2)));
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x, (dy, x, y) => mul(dy, div(y, mul(x, -2))));
export const square = (x: Tensor): Tensor => unary('square', x, (dy, x) => mul(dy, mul(x, 2)));
export const reciprocal = (x: Tensor): Tensor =>
  unary('reciprocal', x, (dy, _x, y) => neg(mul(dy, square(y))));
export const sin = (x: Tensor): Tensor => unary('sin', x, (dy, x) => mul(dy, cos(x)));
export const cos = (x: Tensor): Tensor => unary('cos', x, (dy, x) => neg(mul(dy, sin(x))));
export const floor = (x: Tensor): Tensor => unary('floor', x);
export const ceil = (x: Tensor): Tensor => unary('ceil', x);
/** Nearest integer, halves to even (as PyTorch). */
export const round = (x: Tensor): Tensor => unary('round', x);
export const erf = (x: Tensor): Tensor =>
  unary('erf', x, (dy, x) => mul(dy, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI))));
/** max(x, 0); the gradient at 0 is 0. */
export const relu = (x: Tensor): Tensor => unary('relu', x, reluGrad);

/** mul(dy, greater(x, 0)), as one fused kernel where the backend has it. */
function reluGrad(dy: Tensor, x: Tensor): Tensor {
  const engine = dy.engine;
  if (engine.hasOptionalKernel('reluGrad') && dy.dtype === x.dtype && isFloat(dy.dtype))
    return engine.runOptionalKernel('reluGrad', [dy, x], {})[0];
  return mul(dy, greater(x, 0));
}
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x, (dy, _x, y) => mul(dy, mul(y, sub(1, y))));
export const tanh = (x: Tensor): Tensor => unary('tanh', x, (dy, _x, y) => mul(dy, sub(1, square(y))));
/** GELU with the exact erf form, x * Phi(x), as PyTorch's default. */
export const gelu = (x: Tensor): Tensor => unary('gelu', x, (dy, x) => mul(dy, unary('geluGrad', x)));

/** Picks `a` where `cond` is non-zero, else `b`; broadcasts all three. */
export function where(cond: Tensor, a: TensorOrNumber, b: TensorOrNumber): Tensor {
  const like = typeof a === 'number' ? (typeof b === 'number' ? cond : b) : a;
  const dtype = typeof a !== 'number' ? a.dtype : typeof b !== 'number' ? b.dtype : 'float32';
  const ta = typeof a === 'number' ? like.engine.scalar(a, dtype) : a;
  const tb = typeof b === 'number' ? like.engine.scalar(b, dtype) : b;
  broadcastShapes(broadcastShapes(cond.shape, ta.shape, 'where'), tb.shape, 'where');
  const out = cond.engine.runKernel(
    'where',
    [cond, ta, tb],
    {},
    (dys, saved) => {
      const c = saved.inputs[0];
      return [null, sumToShape(where(c, dys[0], 0), ta.shape), sumToShape(where(c, 0, dys[0]), tb.shape)];
    },
    { inputs: true },
  )[0];
  if (ta !== a) ta.dispose();
  if (tb !== b) tb.dispose();
  return out;
}

export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return reshape(x, x.shape);
  return x.engine.runKernel('cast', [x], { dtype }, (dys) => [cast(dys[0], x.dtype)])[0];
}

/** Clamps into [low, high]; the gradient passes where x is inside. */
export function clamp(x: Tensor, low: number, high: number): Tensor {
  return x.engine.tidy(() => minimum(maximum(x, low), high));
}
