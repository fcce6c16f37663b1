import { allocArray, type DataArray, type DType } from '../../dtype.js';
import type { Shape } from '../../shape.js';

/*
 * Training-mode batch normalisation of x [N, C, ...] viewed as [N, C, S]: each channel is
 * N runs of S contiguous values. Per-channel sums are accumulated in float64 (JS numbers)
 * whatever the dtype, and the outputs are rounded once, so float32 results are at least as
 * accurate as the composite of sum, sub, square and mul kernels they replace.
 */

function layout(shape: Shape): { n: number; c: number; s: number } {
  let s = 1;
  for (let i = 2; i < shape.length; i++) s *= shape[i];
  return { n: shape[0], c: shape[1], s };
}

/** 1 / sqrt(var + eps) in float64, as both passes use it. */
function invStd(variance: number, eps: number): number {
  return 1 / Math.sqrt(variance + eps);
}

/**
 * y = (x - mean) / sqrt(var + eps) * weight + bias with the batch mean and biased variance
 * (two passes: the mean, then the squared deviations, so no cancellation).
 */
export function batchNormForward(
  x: DataArray,
  shape: Shape,
  dtype: DType,
  weight: DataArray | null,
  bias: DataArray | null,
  eps: number,
): { y: DataArray; mean: DataArray; variance: DataArray } {
  const { n, c, s } = layout(shape);
  const count = n * s;
  const y = allocArray(dtype, x.length);
  const mean = allocArray(dtype, c);
  const variance = allocArray(dtype, c);
  const plane = c * s;
  for (let ch = 0; ch < c; ch++) {
    let total = 0;
    for (let b = 0; b < n; b++) {
      const start = b * plane + ch * s;
      for (let i = start; i < start + s; i++) total += x[i];
    }
    const m = total / count;
    let squares = 0;
    for (let b = 0; b < n; b++) {
      const start = b * plane + ch * s;
      for (let i = start; i < start + s; i++) {
        const d = x[i] - m;
        squares += d * d;
      }
    }
    const v = count > 0 ? squares / count : Number.NaN;
    const scale = invStd(v, eps) * (weight ? weight[ch] : 1);
    const shift = bias ? bias[ch] : 0;
    for (let b = 0; b < n; b++) {
      const start = b * plane + ch * s;
      for (let i = start; i < start + s; i++) y[i] = (x[i] - m) * scale + shift;
    }
    mean[ch] = m;
    variance[ch] = v;
  }
  return { y, mean, variance };
}

/**
 * The first-order gradient of `batchNormForward` in closed form. With xhat = (x - mean) * r,
 * r = 1 / sqrt(var + eps) and M = N * S values per channel:
 *   dbias = sum(dy), dweight = sum(dy * xhat),
 *   dx = weight * r * (dy - dbias / M - xhat * dweight / M).
 */
export function batchNormBackward(
  dy: DataArray,
  x: DataArray,
  shape: Shape,
  dtype: DType,
  mean: DataArray,
  variance: DataArray,
  weight: DataArray | null,
  eps: number,
): { dx: DataArray; dweight: DataArray; dbias: DataArray } {
  const { n, c, s } = layout(shape);
  const count = n * s;
  const dx = allocArray(dtype, x.length);
  const dweight = allocArray(dtype, c);
  const dbias = allocArray(dtype, c);
  const plane = c * s;
  for (let ch = 0; ch < c; ch++) {
    const m = mean[ch];
    const r = invStd(variance[ch], eps);
    let sumDy = 0;
    let sumDyCentred = 0;
    for (let b = 0; b < n; b++) {
      const start = b * plane + ch * s;
      for (let i = start; i < start + s; i++) {
        sumDy += dy[i];
        sumDyCentred += dy[i] * (x[i] - m);
      }
    }
    const k = (weight ? weight[ch] : 1) * r;
    // dx = k * dy - k * sumDy / M - (x - m) * k * r^2 * sumDyCentred / M
    const offset = (k * sumDy) / count;
    const slope = (k * r * r * sumDyCentred) / count;
    for (let b = 0; b < n; b++) {
      const start = b * plane + ch * s;
      for (let i = start; i < start + s; i++) dx[i] = k * dy[i] - offset - (x[i] - m) * slope;
    }
    dbias[ch] = sumDy;
    dweight[ch] = sumDyCentred * r;
  }
  return { dx, dweight, dbias };
}
