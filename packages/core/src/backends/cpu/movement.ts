import { allocArray, type DataArray, type DType, dtypeOf } from '../../dtype.js';
import { broadcastStrides, formatShape, type Shape, sizeOf, stridesOf } from '../../shape.js';
import { coalesceAxes, forEachRow } from './strided.js';

function like(x: DataArray, size: number): DataArray {
  return allocArray(dtypeOf(x), size);
}

/** Copies `x` read through `strides` (one per output axis) into a contiguous array of `shape`. */
export function gatherStrided(x: DataArray, shape: Shape, strides: readonly number[], base = 0): DataArray {
  const out = like(x, sizeOf(shape));
  const walk = coalesceAxes(shape, [strides]);
  const inner = walk.strides[0][walk.shape.length - 1] ?? 0;
  forEachRow(walk.shape, walk.strides, (o, [i], n) => {
    const start = base + i;
    if (inner === 1) for (let j = 0; j < n; j++) out[o + j] = x[start + j];
    else if (inner === 0) out.fill(x[start], o, o + n);
    else for (let j = 0; j < n; j++) out[o + j] = x[start + j * inner];
  });
  return out;
}

function windowStrides(
  shape: Shape,
  begin: readonly number[],
  step: readonly number[],
): { base: number; strides: number[] } {
  const strides = stridesOf(shape);
  let base = 0;
  for (let i = 0; i < shape.length; i++) base += begin[i] * strides[i];
  return { base, strides: strides.map((s, i) => s * step[i]) };
}

export function slice(
  x: DataArray,
  shape: Shape,
  begin: readonly number[],
  step: readonly number[],
  outShape: Shape,
): DataArray {
  const { base, strides } = windowStrides(shape, begin, step);
  return gatherStrided(x, outShape, strides, base);
}

export function sliceGrad(
  dy: DataArray,
  dyShape: Shape,
  inputShape: Shape,
  begin: readonly number[],
  step: readonly number[],
): DataArray {
  const out = like(dy, sizeOf(inputShape));
  const { base, strides } = windowStrides(inputShape, begin, step);
  const inner = strides[strides.length - 1] ?? 0;
  // The output walk is over dy (contiguous); the window strides locate each entry in dx.
  forEachRow(dyShape, [strides], (o, [i], n) => {
    for (let j = 0; j < n; j++) out[base + i + j * inner] += dy[o + j];
  });
  return out;
}

export function pad(
  x: DataArray,
  shape: Shape,
  paddings: readonly (readonly [number, number])[],
  value: number,
): { values: DataArray; shape: number[] } {
  const outShape = shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  const out = like(x, sizeOf(outShape));
  if (value !== 0) out.fill(value);
  const outStrides = stridesOf(outShape);
  let base = 0;
  for (let i = 0; i < shape.length; i++) base += paddings[i][0] * outStrides[i];
  // Walk the input contiguously and place each row into the padded output.
  forEachRow(shape, [outStrides], (i, [o], n) => {
    for (let j = 0; j < n; j++) out[base + o + j] = x[i + j];
  });
  return { values: out, shape: outShape };
}

export function concat(
  xs: readonly DataArray[],
  shapes: readonly Shape[],
  axis: number,
): { values: DataArray; shape: number[] } {
  const outShape = [...shapes[0]];
  outShape[axis] = shapes.reduce((s, sh) => s + sh[axis], 0);
  const out = like(xs[0], sizeOf(outShape));
  const outer = sizeOf(outShape.slice(0, axis));
  const inner = sizeOf(outShape.slice(axis + 1));
  const outRow = outShape[axis] * inner;
  let offset = 0;
  xs.forEach((x, k) => {
    const block = shapes[k][axis] * inner;
    for (let o = 0; o < outer; o++) out.set(x.subarray(o * block, (o + 1) * block), o * outRow + offset);
    offset += block;
  });
  return { values: out, shape: outShape };
}

function checkIndex(v: number, n: number, axis: number, shape: Shape): void {
  if (v < 0 || v >= n)
    throw new RangeError(`gather: index ${v} is out of range for axis ${axis} of ${formatShape(shape)}`);
}

export function gather(
  x: DataArray,
  shape: Shape,
  indices: DataArray,
  indicesShape: Shape,
  axis: number,
): { values: DataArray; shape: number[] } {
  const outer = sizeOf(shape.slice(0, axis));
  const n = shape[axis];
  const inner = sizeOf(shape.slice(axis + 1));
  const m = indices.length;
  const out = like(x, outer * m * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const idx = indices[j];
      checkIndex(idx, n, axis, shape);
      out.set(x.subarray((o * n + idx) * inner, (o * n + idx + 1) * inner), (o * m + j) * inner);
    }
  }
  return { values: out, shape: [...shape.slice(0, axis), ...indicesShape, ...shape.slice(axis + 1)] };
}

export function gatherGrad(dy: DataArray, indices: DataArray, inputShape: Shape, axis: number): DataArray {
  const outer = sizeOf(inputShape.slice(0, axis));
  const n = inputShape[axis];
  const inner = sizeOf(inputShape.slice(axis + 1));
  const m = indices.length;
  const out = like(dy, sizeOf(inputShape));
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const dst = (o * n + indices[j]) * inner;
      const src = (o * m + j) * inner;
      for (let t = 0; t < inner; t++) out[dst + t] += dy[src + t];
    }
  }
  return out;
}

export function broadcastTo(x: DataArray, shape: Shape, outShape: Shape): DataArray {
  return gatherStrided(x, outShape, broadcastStrides(shape, outShape));
}

export function oneHot(indices: DataArray, depth: number, dtype: DType): DataArray {
  const out = allocArray(dtype, indices.length * depth);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    if (k >= 0 && k < depth) out[i * depth + k] = 1;
  }
  return out;
}
