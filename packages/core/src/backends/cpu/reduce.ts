import { allocArray, type DataArray, type DType } from '../../dtype.js';
import type { ReduceOp } from '../../kernels.js';
import { type Shape, sizeOf } from '../../shape.js';
import { transpose } from './transpose.js';

/** Moves `axes` to the end so that each output element reduces one contiguous segment. */
function segments(
  x: DataArray,
  shape: Shape,
  axes: readonly number[],
): { data: DataArray; outShape: number[]; segment: number } {
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const trailing = perm.every((p, i) => p === i);
  const data = trailing ? x : transpose(x, shape, perm).values;
  return { data, outShape: kept.map((i) => shape[i]), segment: sizeOf(axes.map((a) => shape[a])) };
}

export function reduce(
  op: ReduceOp,
  x: DataArray,
  shape: Shape,
  dtype: DType,
  axes: readonly number[],
): { values: DataArray; shape: number[] } {
  const { data, outShape, segment } = segments(x, shape, axes);
  const count = sizeOf(outShape);
  const out = allocArray(dtype, count);
  if (segment === 0 && (op === 'max' || op === 'min')) {
    throw new RangeError(`${op}: cannot reduce over an empty axis`);
  }
  for (let o = 0; o < count; o++) {
    const start = o * segment;
    let acc: number;
    switch (op) {
      case 'sum': {
        acc = 0;
        for (let i = 0; i < segment; i++) acc += data[start + i];
        break;
      }
      case 'prod': {
        acc = 1;
        for (let i = 0; i < segment; i++) acc *= data[start + i];
        break;
      }
      case 'max': {
        acc = data[start];
        for (let i = 1; i < segment; i++) {
          const v = data[start + i];
          if (v > acc || Number.isNaN(v)) acc = v;
        }
        break;
      }
      case 'min': {
        acc = data[start];
        for (let i = 1; i < segment; i++) {
          const v = data[start + i];
          if (v < acc || Number.isNaN(v)) acc = v;
        }
        break;
      }
    }
    out[o] = acc;
  }
  return { values: out, shape: outShape };
}

export function argReduce(
  op: 'argmax' | 'argmin',
  x: DataArray,
  shape: Shape,
  axis: number,
): { values: Int32Array; shape: number[] } {
  if (shape[axis] === 0) throw new RangeError(`${op}: cannot reduce over an empty axis`);
  const { data, outShape, segment } = segments(x, shape, [axis]);
  const count = sizeOf(outShape);
  const out = new Int32Array(count);
  const better = op === 'argmax' ? (v: number, b: number) => v > b : (v: number, b: number) => v < b;
  for (let o = 0; o < count; o++) {
    const start = o * segment;
    let best = data[start];
    let bi = 0;
    for (let i = 1; i < segment; i++) {
      if (better(data[start + i], best)) {
        best = data[start + i];
        bi = i;
      }
    }
    out[o] = bi;
  }
  return { values: out, shape: outShape };
}
