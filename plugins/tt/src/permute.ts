import { linalg } from '@lowrank/core';

/**
 * `x` with its axes reordered: axis `j` of the result is axis `perm[j]` of `x`
 * (NumPy's `transpose(x, perm)`), copied to row-major order. The innermost
 * run of the result is copied with a stride, every outer index once.
 */
export function permuteAxes(x: linalg.NdArray, perm: readonly number[]): linalg.NdArray {
  const d = x.shape.length;
  if (perm.length !== d || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new RangeError(`permuteAxes: [${perm}] is not a permutation of the ${d} axes of [${x.shape}]`);
  }
  const shape = perm.map((p) => x.shape[p]);
  const out = linalg.ndarray(shape);
  if (out.data.length === 0) return out;
  const srcStrides = new Array<number>(d);
  for (let i = d - 1, s = 1; i >= 0; i--) {
    srcStrides[i] = s;
    s *= x.shape[i];
  }
  // Strides of x in the order of the result's axes.
  const strides = perm.map((p) => srcStrides[p]);
  const inner = d === 0 ? 1 : shape[d - 1];
  const innerStride = d === 0 ? 1 : strides[d - 1];
  const index = new Array<number>(Math.max(d - 1, 0)).fill(0);
  const src = x.data;
  const dst = out.data;
  let base = 0;
  for (let o = 0; o < dst.length; o += inner) {
    for (let j = 0, s = base; j < inner; j++, s += innerStride) dst[o + j] = src[s];
    // Advance the outer multi-index (all but the last axis) like an odometer.
    for (let a = d - 2; a >= 0; a--) {
      index[a]++;
      base += strides[a];
      if (index[a] < shape[a]) break;
      base -= strides[a] * shape[a];
      index[a] = 0;
    }
  }
  return out;
}

/** The same values under another shape of the same size (no copy). */
export function reshapeArray(x: linalg.NdArray, shape: readonly number[]): linalg.NdArray {
  return linalg.ndarray(shape, x.data);
}
