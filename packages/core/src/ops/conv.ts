import type { GradFn } from '../autodiff/node.js';
import { isFloat } from '../dtype.js';
import type { Conv2dAttrs } from '../kernels.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add } from './elementwise.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';

export type Pair = number | readonly [number, number];
/** A number, [vertical, horizontal], or [top, bottom, left, right]. */
export type Padding = number | readonly [number, number] | readonly [number, number, number, number];

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Padding;
  dilation?: Pair;
  groups?: number;
}

export function pair(v: Pair, name: string): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((d) => Number.isInteger(d) && d >= 1))
    throw new RangeError(`${name} must be positive integers, got ${String(v)}`);
  return p;
}

export function padding4(v: Padding): [number, number, number, number] {
  let p: [number, number, number, number];
  if (typeof v === 'number') p = [v, v, v, v];
  else if (v.length === 2) p = [v[0], v[0], v[1], v[1]];
  else p = [v[0], v[1], v[2], v[3]];
  if (!p.every((d) => Number.isInteger(d) && d >= 0))
    throw new RangeError(`padding must be non-negative integers, got ${String(v)}`);
  return p;
}

/** Output length of a sliding window (PyTorch's formula). */
export function windowOutput(
  size: number,
  kernel: number,
  stride: number,
  padBefore: number,
  padAfter: number,
  dilation: number,
): number {
  return Math.floor((size + padBefore + padAfter - dilation * (kernel - 1) - 1) / stride) + 1;
}

/**
 * 2-d convolution (cross-correlation, as PyTorch) of x [N, C, H, W] with
 * w [O, C/groups, Kh, Kw], plus an optional bias [O].
 */
export function conv2d(x: Tensor, w: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const attrs: Conv2dAttrs = {
    stride: pair(options.stride ?? 1, 'conv2d: stride'),
    padding: padding4(options.padding ?? 0),
    dilation: pair(options.dilation ?? 1, 'conv2d: dilation'),
    groups: options.groups ?? 1,
  };
  checkConv(x, w, bias, attrs);
  const inputShape = [...x.shape];
  const filterShape = [...w.shape];
  const engine = x.engine;
  const grads: GradFn = (dys, saved, needed) => [
    needed[0]
      ? engine.runKernel('conv2dGradInput', [dys[0], saved.inputs[1]], { ...attrs, inputShape })[0]
      : null,
    needed[1]
      ? engine.runKernel('conv2dGradFilter', [saved.inputs[0], dys[0]], { ...attrs, filterShape })[0]
      : null,
    // the bias's gradient: dy summed over N, H, W
    needed[2] ? sum(dys[0], [0, 2, 3]) : null,
  ];
  if (!bias) return engine.runKernel('conv2d', [x, w], attrs, grads, { inputs: true })[0];
  if (
    engine.hasOptionalKernel('conv2dBias') &&
    isFloat(x.dtype) &&
    w.dtype === x.dtype &&
    bias.dtype === x.dtype
  ) {
    return engine.runOptionalKernel('conv2dBias', [x, w, bias], attrs, grads, { inputs: true })[0];
  }
  return engine.tidy(() =>
    add(
      engine.runKernel('conv2d', [x, w], attrs, grads, { inputs: true })[0],
      reshape(bias, [1, bias.size, 1, 1]),
    ),
  );
}

function checkConv(x: Tensor, w: Tensor, bias: Tensor | null | undefined, a: Conv2dAttrs): void {
  if (x.rank !== 4) throw new RangeError(`conv2d: input must be [N, C, H, W], got ${formatShape(x.shape)}`);
  if (w.rank !== 4)
    throw new RangeError(`conv2d: weight must be [O, C/groups, Kh, Kw], got ${formatShape(w.shape)}`);
  const [, c, h, wd] = x.shape;
  const [o, cg, kh, kw] = w.shape;
  const g = a.groups;
  if (!Number.isInteger(g) || g < 1 || c % g !== 0 || o % g !== 0) {
    throw new RangeError(
      `conv2d: groups=${g} must divide the input channels (${c}) and the output channels (${o})`,
    );
  }
  if (cg * g !== c) {
    throw new RangeError(
      `conv2d: weight ${formatShape(w.shape)} expects ${cg * g} input channels with groups=${g}, input has ${c}`,
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== o)) {
    throw new RangeError(`conv2d: bias must be [${o}], got ${formatShape(bias.shape)}`);
  }
  const ho = windowOutput(h, kh, a.stride[0], a.padding[0], a.padding[1], a.dilation[0]);
  const wo = windowOutput(wd, kw, a.stride[1], a.padding[2], a.padding[3], a.dilation[1]);
  if (ho < 1 || wo < 1) {
    throw new RangeError(
      `conv2d: kernel ${kh}x${kw} (dilation ${a.dilation}) does not fit the padded input ${h}x${wd} (padding ${a.padding})`,
    );
  }
}
