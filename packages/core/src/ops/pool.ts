import type { Pool2dAttrs } from '../kernels.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { type Padding, type Pair, padding4, pair, windowOutput } from './conv.js';

export interface Pool2dOptions {
  /** Defaults to the kernel size. */
  stride?: Pair;
  padding?: Padding;
  dilation?: Pair;
}

function poolAttrs(x: Tensor, kernel: Pair, options: Pool2dOptions, name: string): Pool2dAttrs {
  if (x.rank !== 4) throw new RangeError(`${name}: input must be [N, C, H, W], got ${formatShape(x.shape)}`);
  const k = pair(kernel, `${name}: kernel`);
  const attrs: Pool2dAttrs = {
    kernel: k,
    stride: pair(options.stride ?? k, `${name}: stride`),
    padding: padding4(options.padding ?? 0),
    dilation: pair(options.dilation ?? 1, `${name}: dilation`),
  };
  const [pt, pb, pl, pr] = attrs.padding;
  if (pt > k[0] / 2 || pb > k[0] / 2 || pl > k[1] / 2 || pr > k[1] / 2) {
    throw new RangeError(`${name}: padding ${attrs.padding} must be at most half the kernel ${k}`);
  }
  const ho = windowOutput(x.shape[2], k[0], attrs.stride[0], pt, pb, attrs.dilation[0]);
  const wo = windowOutput(x.shape[3], k[1], attrs.stride[1], pl, pr, attrs.dilation[1]);
  if (ho < 1 || wo < 1)
    throw new RangeError(`${name}: kernel ${k} does not fit the input ${formatShape(x.shape)}`);
  return attrs;
}

/** Max pooling over windows of each channel; padding counts as -Infinity. */
export function maxPool2d(x: Tensor, kernel: Pair, options: Pool2dOptions = {}): Tensor {
  const attrs = poolAttrs(x, kernel, options, 'maxPool2d');
  const inputShape = [...x.shape];
  const [y, argmax] = x.engine.runKernel(
    'maxPool2d',
    [x],
    attrs,
    (dys, saved) => [
      x.engine.runKernel('poolScatter', [dys[0], saved.outputs[1]], { inputShape, window: attrs })[0],
    ],
    { outputs: true },
  );
  argmax.dispose();
  return y;
}

/** Average pooling, without dilation (as PyTorch); `countIncludePad` (default true) divides by the full window. */
export function avgPool2d(
  x: Tensor,
  kernel: Pair,
  options: Omit<Pool2dOptions, 'dilation'> & { countIncludePad?: boolean } = {},
): Tensor {
  // The backends ignore dilation here; refuse it rather than pool undilated windows.
  const { dilation } = options as Pool2dOptions;
  if (dilation !== undefined && pair(dilation, 'avgPool2d: dilation').some((d) => d !== 1)) {
    throw new RangeError(`avgPool2d: dilation is not supported, got ${String(dilation)}`);
  }
  const attrs = {
    ...poolAttrs(x, kernel, { ...options, dilation: 1 }, 'avgPool2d'),
    countIncludePad: options.countIncludePad ?? true,
  };
  const inputShape = [...x.shape];
  return x.engine.runKernel('avgPool2d', [x], attrs, (dys) => [
    x.engine.runKernel('avgPool2dGrad', [dys[0]], { ...attrs, inputShape })[0],
  ])[0];
}

function outSize(x: Tensor, size: Pair, name: string): [number, number] {
  if (x.rank !== 4) throw new RangeError(`${name}: input must be [N, C, H, W], got ${formatShape(x.shape)}`);
  return pair(size, `${name}: output size`);
}

/** Average pooling to a fixed output size (PyTorch's adaptive windows). */
export function adaptiveAvgPool2d(x: Tensor, size: Pair): Tensor {
  const out = outSize(x, size, 'adaptiveAvgPool2d');
  const inputShape = [...x.shape];
  return x.engine.runKernel('adaptiveAvgPool2d', [x], { outSize: out }, (dys) => [
    x.engine.runKernel('adaptiveAvgPool2dGrad', [dys[0]], { outSize: out, inputShape })[0],
  ])[0];
}

/** Max pooling to a fixed output size (PyTorch's adaptive windows). */
export function adaptiveMaxPool2d(x: Tensor, size: Pair): Tensor {
  const out = outSize(x, size, 'adaptiveMaxPool2d');
  const inputShape = [...x.shape];
  const [y, argmax] = x.engine.runKernel(
    'adaptiveMaxPool2d',
    [x],
    { outSize: out },
    (dys, saved) => [
      x.engine.runKernel('poolScatter', [dys[0], saved.outputs[1]], {
        inputShape,
        window: { outSize: out },
      })[0],
    ],
    { outputs: true },
  );
  argmax.dispose();
  return y;
}
