import { allocArray, type DataArray, type DType } from '../../dtype.js';
import type { ReduceOp } from '../../kernels.js';
import { type Shape, sizeOf } from '../../shape.js';
import { forEachRow } from './strided.js';
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

/**
 * Sum over axes that are not all trailing (a conv bias's gradient: [N, C, H, W] over 0, 2,
 * 3), read in memory order instead of transposed: adjacent axes of one kind merge, and
 * each contiguous row is summed or added into a float64 accumulator.
 */
function sumInPlace(
  x: DataArray,
  shape: Shape,
  dtype: DType,
  axes: readonly number[],
): { values: DataArray; shape: number[] } {
  const outShape = shape.filter((_, i) => !axes.includes(i));
  const merged: number[] = [];
  const reduced: boolean[] = [];
  shape.forEach((d, i) => {
    const r = axes.includes(i);
    if (d === 1) return;
    if (merged.length > 0 && reduced[reduced.length - 1] === r) merged[merged.length - 1] *= d;
    else {
      merged.push(d);
      reduced.push(r);
    }
  });
  // accumulator strides of the merged axes: row-major over the kept ones, 0 on reduced ones
  const accStrides = new Array<number>(merged.length).fill(0);
  let stride = 1;
  for (let i = merged.length - 1; i >= 0; i--) {
    if (reduced[i]) continue;
    accStrides[i] = stride;
    stride *= merged[i];
  }
  const acc = new Float64Array(sizeOf(outShape));
  const innerReduced = reduced[reduced.length - 1] ?? true;
  forEachRow(merged, [accStrides], (start, [o], n) => {
    if (innerReduced) {
      let total = 0;
      for (let i = start; i < start + n; i++) total += x[i];
      acc[o] += total;
    } else {
      for (let i = 0; i < n; i++) acc[o + i] += x[start + i];
    }
  });
  const out = allocArray(dtype, acc.length);
  out.set(acc);
  return { values: out, shape: outShape };
}

export function reduce(
  op: ReduceOp,
  x: DataArray,
  shape: Shape,
  dtype: DType,
  axes: readonly number[],
): { values: DataArray; shape: number[] } {
  const trailing = axes.every((a, i) => a === shape.length - axes.length + i);
  if (op === 'sum' && !trailing && x.length > 0) return sumInPlace(x, shape, dtype, axes);
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
