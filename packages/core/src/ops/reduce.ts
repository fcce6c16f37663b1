import type { ReduceOp } from '../kernels.js';
import { normalizeAxes, normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { abs, add, div, equal, exp, log, mul, sqrt, square, sub } from './elementwise.js';
import { broadcastTo, reshape } from './shape.js';

type Axes = number | readonly number[] | undefined;

function keptShape(shape: readonly number[], axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function reduceKernel(
  op: ReduceOp,
  x: Tensor,
  axes: Axes,
  keepDims: boolean,
  grad?: (dy: Tensor, x: Tensor, y: Tensor) => Tensor,
): Tensor {
  const ax = normalizeAxes(axes, x.rank, op);
  const kept = keptShape(x.shape, ax);
  const y = x.engine.runKernel(
    'reduce',
    [x],
    { op, axes: ax },
    grad &&
      ((dys, saved) => {
        // Gradients flow in the keep-dims layout, then broadcast back over the reduced axes.
        const dy = reshape(dys[0], kept);
        const yk = saved.outputs.length ? reshape(saved.outputs[0], kept) : dy;
        return [grad(dy, saved.inputs[0] ?? x, yk)];
      }),
    { inputs: op !== 'sum', outputs: op !== 'sum' },
  )[0];
  if (!keepDims) return y;
  const out = reshape(y, kept);
  y.dispose();
  return out;
}

/** Sum over `axes` (all when omitted). */
export function sum(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return reduceKernel('sum', x, axes, keepDims, (dy, xin) => broadcastTo(dy, xin.shape));
}

/** Product over `axes`; the gradient assumes no zeros (y / x). */
export function prod(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return reduceKernel('prod', x, axes, keepDims, (dy, xin, y) => div(mul(dy, y), xin));
}

/** Maximum over `axes`; the gradient is shared evenly among ties. */
export function max(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return reduceKernel('max', x, axes, keepDims, extremeGrad);
}

/** Minimum over `axes`; the gradient is shared evenly among ties. */
export function min(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return reduceKernel('min', x, axes, keepDims, extremeGrad);
}

function extremeGrad(dy: Tensor, x: Tensor, y: Tensor): Tensor {
  const mask = equal(x, y);
  const count = sum(mask, keptAxes(y), true);
  return div(mul(mask, dy), count);
}

function keptAxes(y: Tensor): number[] {
  return y.shape.flatMap((d, i) => (d === 1 ? [i] : []));
}

/** Mean over `axes`. */
export function mean(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const ax = normalizeAxes(axes, x.rank, 'mean');
  const n = ax.reduce((s, a) => s * x.shape[a], 1);
  return x.engine.tidy(() => div(sum(x, ax, keepDims), n));
}

/** Variance over `axes`; `correction` 1 gives the unbiased estimate (PyTorch's default), 0 the biased one. */
export function variance(
  x: Tensor,
  axes?: Axes,
  options: { keepDims?: boolean; correction?: number } = {},
): Tensor {
  const { keepDims = false, correction = 1 } = options;
  const ax = normalizeAxes(axes, x.rank, 'variance');
  const n = ax.reduce((s, a) => s * x.shape[a], 1);
  return x.engine.tidy(() => {
    const centred = sub(x, mean(x, ax, true));
    return div(sum(square(centred), ax, keepDims), Math.max(n - correction, 0));
  });
}

/** Standard deviation, see `variance`. */
export function std(
  x: Tensor,
  axes?: Axes,
  options: { keepDims?: boolean; correction?: number } = {},
): Tensor {
  return x.engine.tidy(() => sqrt(variance(x, axes, options)));
}

/** The p-norm over `axes` (2 by default: the Frobenius norm for matrices), or 1, or Infinity. */
export function norm(x: Tensor, p: 1 | 2 | number = 2, axes?: Axes, keepDims = false): Tensor {
  return x.engine.tidy(() => {
    if (p === 2) return sqrt(sum(square(x), axes, keepDims));
    if (p === 1) return sum(abs(x), axes, keepDims);
    if (p === Number.POSITIVE_INFINITY) return max(abs(x), axes, keepDims);
    throw new RangeError(`norm: p must be 1, 2 or Infinity, got ${p}`);
  });
}

/** log(sum(exp(x))) over `axes`, stable for large values. */
export function logSumExp(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return x.engine.tidy(() => {
    const ax = normalizeAxes(axes, x.rank, 'logSumExp');
    const m = x.engine.noGrad(() => max(x, ax, true));
    const s = log(sum(exp(sub(x, m)), ax, true));
    const out = add(s, m);
    return keepDims
      ? out
      : reshape(
          out,
          x.shape.filter((_, i) => !ax.includes(i)),
        );
  });
}

/** Index of the largest entry along `axis` (int32); the first wins on ties. */
export function argmax(x: Tensor, axis = -1): Tensor {
  return x.engine.runKernel('argReduce', [x], {
    op: 'argmax',
    axis: normalizeAxis(axis, x.rank, 'argmax'),
  })[0];
}

/** Index of the smallest entry along `axis` (int32); the first wins on ties. */
export function argmin(x: Tensor, axis = -1): Tensor {
  return x.engine.runKernel('argReduce', [x], {
    op: 'argmin',
    axis: normalizeAxis(axis, x.rank, 'argmin'),
  })[0];
}
