import type { DataArray, FloatArray } from '../../dtype.js';
import type { Pool2dAttrs } from '../../kernels.js';
import type { Shape } from '../../shape.js';
import type { Shape4 } from './kernels/geometry.js';
import {
  adaptiveAvgPool2dBackward,
  adaptiveAvgPool2dForward,
  adaptiveMaxPool2dForward,
  avgPool2dBackward,
  avgPool2dForward,
  maxPool2dBackward,
  maxPool2dForward,
  pool2dOutputShape,
} from './kernels/pool.js';

function float(x: DataArray, op: string): FloatArray {
  if (x instanceof Int32Array) throw new TypeError(`${op}: int32 input is not supported; cast to float32`);
  return x;
}

export function maxPool(
  x: DataArray,
  shape: Shape,
  attrs: Pool2dAttrs,
): { values: FloatArray; argmax: Int32Array; shape: number[] } {
  const r = maxPool2dForward(float(x, 'maxPool2d'), shape as Shape4, attrs);
  return { values: r.y, argmax: r.argmax, shape: pool2dOutputShape(shape as Shape4, attrs) };
}

export function avgPool(
  x: DataArray,
  shape: Shape,
  attrs: Pool2dAttrs & { countIncludePad: boolean },
): { values: FloatArray; shape: number[] } {
  const { dilation: _unused, ...params } = attrs;
  return {
    values: avgPool2dForward(float(x, 'avgPool2d'), shape as Shape4, params),
    shape: pool2dOutputShape(shape as Shape4, params),
  };
}

export function avgPoolGrad(
  dy: DataArray,
  _dyShape: Shape,
  attrs: Pool2dAttrs & { countIncludePad: boolean; inputShape: number[] },
): FloatArray {
  const { dilation: _unused, ...params } = attrs;
  return avgPool2dBackward(float(dy, 'avgPool2d backward'), attrs.inputShape as unknown as Shape4, params);
}

export function adaptiveAvgPool(
  x: DataArray,
  shape: Shape,
  outSize: [number, number],
): { values: FloatArray; shape: number[] } {
  return {
    values: adaptiveAvgPool2dForward(float(x, 'adaptiveAvgPool2d'), shape as Shape4, outSize),
    shape: [shape[0], shape[1], outSize[0], outSize[1]],
  };
}

export function adaptiveAvgPoolGrad(
  dy: DataArray,
  outSize: [number, number],
  inputShape: number[],
): FloatArray {
  return adaptiveAvgPool2dBackward(
    float(dy, 'adaptiveAvgPool2d backward'),
    inputShape as unknown as Shape4,
    outSize,
  );
}

export function adaptiveMaxPool(
  x: DataArray,
  shape: Shape,
  outSize: [number, number],
): { values: FloatArray; argmax: Int32Array; shape: number[] } {
  const r = adaptiveMaxPool2dForward(float(x, 'adaptiveMaxPool2d'), shape as Shape4, outSize);
  return { values: r.y, argmax: r.argmax, shape: [shape[0], shape[1], outSize[0], outSize[1]] };
}

export function scatter(
  dy: DataArray,
  argmax: Int32Array,
  _dyShape: Shape,
  inputShape: number[],
): FloatArray {
  return maxPool2dBackward(float(dy, 'max pooling backward'), argmax, inputShape as unknown as Shape4);
}
