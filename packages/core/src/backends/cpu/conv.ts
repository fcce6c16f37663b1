import type { DataArray, FloatArray } from '../../dtype.js';
import type { Conv2dAttrs } from '../../kernels.js';
import type { Shape } from '../../shape.js';
import {
  conv2dBackwardFilter,
  conv2dBackwardInput,
  conv2dForward,
  conv2dOutputShape,
} from './kernels/conv2d.js';
import type { Shape4 } from './kernels/geometry.js';

/** Both operands as one float type (float64 if either is), as the GEMM needs. */
function floats(a: DataArray, b: DataArray, op: string): [FloatArray, FloatArray] {
  if (a instanceof Int32Array || b instanceof Int32Array)
    throw new TypeError(`${op}: int32 operands are not supported; cast to float32`);
  if (a instanceof Float64Array || b instanceof Float64Array) {
    return [
      a instanceof Float64Array ? a : Float64Array.from(a),
      b instanceof Float64Array ? b : Float64Array.from(b),
    ];
  }
  return [a, b];
}

/** conv2d(x, w), plus `bias` [O] per output channel when given (of the dtype of x and w). */
export function forward(
  x: DataArray,
  xShape: Shape,
  w: DataArray,
  wShape: Shape,
  attrs: Conv2dAttrs,
  bias: FloatArray | null = null,
): [FloatArray, number[]] {
  const [fx, fw] = floats(x, w, 'conv2d');
  const outShape = conv2dOutputShape(xShape as Shape4, wShape as Shape4, attrs);
  return [conv2dForward(fx, xShape as Shape4, fw, wShape as Shape4, attrs, bias), outShape];
}

export function gradInput(
  dy: DataArray,
  _dyShape: Shape,
  w: DataArray,
  wShape: Shape,
  attrs: Conv2dAttrs & { inputShape: number[] },
): FloatArray {
  const [fdy, fw] = floats(dy, w, 'conv2d backward');
  return conv2dBackwardInput(fdy, fw, attrs.inputShape as unknown as Shape4, wShape as Shape4, attrs);
}

export function gradFilter(
  x: DataArray,
  xShape: Shape,
  dy: DataArray,
  _dyShape: Shape,
  attrs: Conv2dAttrs & { filterShape: number[] },
): FloatArray {
  const [fx, fdy] = floats(x, dy, 'conv2d backward');
  return conv2dBackwardFilter(fx, fdy, xShape as Shape4, attrs.filterShape as unknown as Shape4, attrs);
}
