import { type Shape, stridesOf } from '../../shape.js';

/**
 * Walks `outShape` row by row (the last axis is the row). For each row, calls `row`
 * with the output offset and the offset of each input, whose element strides along
 * every output axis are given in `inputStrides` (0 on broadcast axes).
 */
export function forEachRow(
  outShape: Shape,
  inputStrides: readonly (readonly number[])[],
  row: (outOffset: number, inOffsets: number[], length: number) => void,
): void {
  const rank = outShape.length;
  const k = inputStrides.length;
  const offsets = new Array<number>(k).fill(0);
  if (rank === 0) {
    row(0, offsets, 1);
    return;
  }
  const length = outShape[rank - 1];
  let rows = 1;
  for (let i = 0; i < rank - 1; i++) rows *= outShape[i];
  if (rows === 0 || length === 0) return;
  const counter = new Array<number>(rank - 1).fill(0);
  for (let r = 0; r < rows; r++) {
    row(r * length, offsets, length);
    // advance the odometer over the leading axes
    for (let axis = rank - 2; axis >= 0; axis--) {
      counter[axis]++;
      for (let j = 0; j < k; j++) offsets[j] += inputStrides[j][axis];
      if (counter[axis] < outShape[axis]) break;
      for (let j = 0; j < k; j++) offsets[j] -= inputStrides[j][axis] * outShape[axis];
      counter[axis] = 0;
    }
  }
}

/** Strides of the input axes reordered by `perm` (for transposes). */
export function permutedStrides(shape: Shape, perm: readonly number[]): number[] {
  const strides = stridesOf(shape);
  return perm.map((p) => strides[p]);
}

/**
 * The same walk over fewer, longer axes: size-1 axes dropped and neighbours merged where
 * every input steps through them as one axis (its stride on the outer one is the inner
 * stride times the inner size, 0 and 0 included). A per-channel operand of [N, C, H, W]
 * then walks rows of H * W instead of W.
 */
export function coalesceAxes(
  shape: Shape,
  strides: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  shape.forEach((d, axis) => {
    if (d === 1) return;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, j) => s[axis] * d === outStrides[j][last])) {
      outShape[last] *= d;
      strides.forEach((s, j) => {
        outStrides[j][last] = s[axis];
      });
    } else {
      outShape.push(d);
      strides.forEach((s, j) => {
        outStrides[j].push(s[axis]);
      });
    }
  });
  return { shape: outShape, strides: outStrides };
}
