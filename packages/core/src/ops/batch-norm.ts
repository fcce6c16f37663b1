import { isFloat } from '../dtype.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add, cast, mul, rsqrt, sub } from './elementwise.js';
import { mean, variance } from './reduce.js';
import { reshape } from './shape.js';

export interface BatchNormOptions {
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Batch statistics (and running-statistics updates) in training, running statistics otherwise. */
  training: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalisation over every axis but the channel axis 1, as PyTorch: the
 * biased batch variance normalises, the unbiased one updates `runningVar`.
 */
export function batchNorm(x: Tensor, options: BatchNormOptions): Tensor {
  const { runningMean, runningVar, weight, bias, training, momentum = 0.1, eps = 1e-5 } = options;
  if (x.rank < 2) throw new RangeError(`batchNorm: input must be [N, C, ...], got ${formatShape(x.shape)}`);
  const c = x.shape[1];
  const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
  const axes = x.shape.flatMap((_, i) => (i === 1 ? [] : [i]));
  for (const [name, t] of [
    ['runningMean', runningMean],
    ['runningVar', runningVar],
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    if (t && (t.rank !== 1 || t.shape[0] !== c))
      throw new RangeError(`batchNorm: ${name} must be [${c}], got ${formatShape(t.shape)}`);
  }
  if (!training && (!runningMean || !runningVar))
    throw new Error('batchNorm: evaluation mode needs runningMean and runningVar');
  const engine = x.engine;
  return engine.tidy(() => {
    let m: Tensor;
    let v: Tensor;
    let y: Tensor | null = null;
    if (training) {
      const fused = fusedBatchNorm(x, weight ?? null, bias ?? null, eps);
      if (fused) [y, m, v] = fused;
      else {
        m = mean(x, axes, true);
        v = variance(x, axes, { keepDims: true, correction: 0 });
      }
      if (runningMean && runningVar) {
        const n = x.size / c;
        engine.noGrad(() => {
          const newMean = add(mul(runningMean, 1 - momentum), mul(reshape(m, [c]), momentum));
          const unbiased = mul(reshape(v, [c]), n / Math.max(n - 1, 1));
          const newVar = add(mul(runningVar, 1 - momentum), mul(unbiased, momentum));
          // The statistics keep their dtype whatever the input's (float32 buffers, float64 input).
          runningMean.assign(cast(newMean, runningMean.dtype));
          runningVar.assign(cast(newVar, runningVar.dtype));
        });
      }
    } else {
      m = reshape(runningMean!, bshape);
      v = reshape(runningVar!, bshape);
    }
    if (y) return y;
    y = mul(sub(x, m), rsqrt(add(v, eps)));
    if (weight) y = mul(y, reshape(weight, bshape));
    if (bias) y = add(y, reshape(bias, bshape));
    return y;
  });
}

/**
 * Training-mode batch norm as the backend's fused kernels: [y, mean [C], var [C]], or
 * null where the backend lacks them or the dtypes are mixed (then the composite runs).
 * The gradient flows through y only (mean and var feed the running statistics).
 */
function fusedBatchNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor[] | null {
  const engine = x.engine;
  const affine = weight !== null && bias !== null;
  if (
    !engine.hasOptionalKernel('batchNorm') ||
    !engine.hasOptionalKernel('batchNormGrad') ||
    !isFloat(x.dtype) ||
    (weight !== null) !== (bias !== null) ||
    (affine && (weight.dtype !== x.dtype || bias.dtype !== x.dtype))
  ) {
    return null;
  }
  const attrs = { eps, affine };
  return engine.runOptionalKernel(
    'batchNorm',
    affine ? [x, weight, bias] : [x],
    attrs,
    (dys, saved) => {
      const [xs, w] = saved.inputs;
      const [, m, v] = saved.outputs;
      return engine.runOptionalKernel(
        'batchNormGrad',
        affine ? [dys[0], xs, m, v, w] : [dys[0], xs, m, v],
        attrs,
      );
    },
    { inputs: true, outputs: true },
  );
}
