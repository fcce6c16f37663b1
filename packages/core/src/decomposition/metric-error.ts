/**
 * The error of an approximation in a metric, two ways: as a float64 number for reports
 * and stopping rules (`relativeError`), and as a differentiable scalar tensor for
 * gradient refinement (`metricLoss`).
 */
import { toNdArray } from '../linalg/tensor-bridge.js';
import { matmul } from '../ops/linear.js';
import { reshape } from '../ops/shape.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import type { LayerInfo } from './layer-info.js';
import type { Metric } from './metric.js';

/**
 * `‖W - What‖ / ‖W‖` in the metric, computed in float64:
 * - frobenius: `‖W - What‖_F / ‖W‖_F`;
 * - whitened: `‖(W_mat - What_mat) L‖_F / ‖W_mat L‖_F` (`W_mat` is `O x P`);
 * - weighted: `sqrt(sum F (W - What)^2 / sum F W^2)`.
 * A zero weight gives 0 when the approximation is zero too, Infinity otherwise.
 */
export async function relativeError(
  metric: Metric,
  weight: Tensor,
  approx: Tensor,
  layer?: LayerInfo,
): Promise<number> {
  const where = layerName(layer);
  checkSameShape('relativeError', where, weight, approx);
  const w = (await toNdArray(weight)).data;
  const a = (await toNdArray(approx)).data;
  const diff = w.map((v, i) => v - a[i]);
  const { num, den } = await squaredNorms(metric, weight.shape, w, diff, where);
  if (den === 0) return num === 0 ? 0 : Number.POSITIVE_INFINITY;
  return Math.sqrt(num / den);
}

/** `‖W - What‖^2` and `‖W‖^2` in the metric, from float64 values of `W` and `W - What`. */
async function squaredNorms(
  metric: Metric,
  shape: readonly number[],
  w: Float64Array,
  diff: Float64Array,
  where: string,
): Promise<{ num: number; den: number }> {
  if (metric.kind === 'frobenius') return { num: sumSquares(diff), den: sumSquares(w) };
  if (metric.kind === 'weighted') {
    checkWeights('relativeError', where, shape, metric.weights);
    const f = (await toNdArray(metric.weights)).data;
    let num = 0;
    let den = 0;
    for (let i = 0; i < w.length; i++) {
      num += f[i] * diff[i] * diff[i];
      den += f[i] * w[i] * w[i];
    }
    return { num, den };
  }
  const p = checkFactor('relativeError', where, shape, metric.factor);
  const l = (await toNdArray(metric.factor)).data;
  return { num: whitenedSquares(diff, p, l), den: whitenedSquares(w, p, l) };
}

/** `‖X L‖_F^2` for `X` as rows of length `p` and `L` (`p x p`, row-major). */
function whitenedSquares(x: Float64Array, p: number, l: Float64Array): number {
  const rows = x.length / p;
  const row = new Float64Array(p);
  let total = 0;
  for (let o = 0; o < rows; o++) {
    row.fill(0);
    for (let q = 0; q < p; q++) {
      const v = x[o * p + q];
      if (v === 0) continue;
      for (let j = 0; j < p; j++) row[j] += v * l[q * p + j];
    }
    total += sumSquares(row);
  }
  return total;
}

function sumSquares(x: Float64Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return s;
}

/**
 * `‖W - What‖^2` in the metric as a scalar tensor, differentiable in `approx` (and in
 * `weight`); computed in `approx`'s dtype, so pass float64 tensors for float64 accuracy.
 */
export function metricLoss(metric: Metric, weight: Tensor, approx: Tensor, layer?: LayerInfo): Tensor {
  const where = layerName(layer);
  checkSameShape('metricLoss', where, weight, approx);
  const engine = approx.engine;
  return engine.tidy(() => {
    const diff = approx.sub(weight.dtype === approx.dtype ? weight : weight.cast(approx.dtype));
    if (metric.kind === 'frobenius') return diff.square().sum();
    if (metric.kind === 'weighted') {
      checkWeights('metricLoss', where, weight.shape, metric.weights);
      const f = metric.weights.dtype === approx.dtype ? metric.weights : metric.weights.cast(approx.dtype);
      return diff.square().mul(f).sum();
    }
    const p = checkFactor('metricLoss', where, weight.shape, metric.factor);
    const l = metric.factor.dtype === approx.dtype ? metric.factor : metric.factor.cast(approx.dtype);
    return matmul(reshape(diff, [-1, p]), l)
      .square()
      .sum();
  });
}

function layerName(layer?: LayerInfo): string {
  return layer ? `'${layer.name}'` : 'the layer';
}

function checkSameShape(fn: string, where: string, weight: Tensor, approx: Tensor): void {
  if (weight.shape.join() !== approx.shape.join()) {
    throw new RangeError(
      `${fn}: the approximation of ${where} is ${formatShape(approx.shape)}, its weight ${formatShape(weight.shape)}; they must have the same shape`,
    );
  }
}

function checkWeights(fn: string, where: string, shape: readonly number[], weights: Tensor): void {
  if (weights.shape.join() !== shape.join()) {
    throw new RangeError(
      `${fn}: the weighted metric of ${where} has weights ${formatShape(weights.shape)}; they must be shaped like the weight ${formatShape(shape)}`,
    );
  }
}

/** Checks that the whitening factor is `P x P` for the weight as `O x P`; returns `P`. */
function checkFactor(fn: string, where: string, shape: readonly number[], factor: Tensor): number {
  const p = shape.slice(1).reduce((a, b) => a * b, 1);
  if (shape.length < 2 || factor.shape.length !== 2 || factor.shape[0] !== p || factor.shape[1] !== p) {
    throw new RangeError(
      `${fn}: the whitened metric of ${where} has factor L ${formatShape(factor.shape)}; the weight ${formatShape(shape)} as O x P needs L of [${p}, ${p}] (P = I*Kh*Kw)`,
    );
  }
  return p;
}
