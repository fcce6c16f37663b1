import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { logSoftmax } from './activation.js';
import { add, mul, neg, square, sub } from './elementwise.js';
import { mean, sum } from './reduce.js';
import { oneHot } from './shape.js';

export type Reduction = 'mean' | 'sum' | 'none';

function reduceLoss(perSample: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return perSample;
  return reduction === 'sum' ? sum(perSample) : mean(perSample);
}

/** Negative log-likelihood of int32 `labels` [N] under log-probabilities [N, C]. */
export function nllLoss(logProbs: Tensor, labels: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  checkLabels(logProbs, labels, 'nllLoss');
  const reduction = options.reduction ?? 'mean';
  return logProbs.engine.tidy(() => {
    const picked = sum(mul(logProbs, oneHot(labels, logProbs.shape[1], floatType(logProbs))), 1);
    return reduceLoss(neg(picked), reduction);
  });
}

/**
 * Cross-entropy of logits [N, C] against int32 class `labels` [N], as PyTorch's
 * `CrossEntropyLoss` (log-softmax then NLL), with optional label smoothing.
 */
export function crossEntropy(
  logits: Tensor,
  labels: Tensor,
  options: { reduction?: Reduction; labelSmoothing?: number } = {},
): Tensor {
  checkLabels(logits, labels, 'crossEntropy');
  const { reduction = 'mean', labelSmoothing = 0 } = options;
  if (labelSmoothing < 0 || labelSmoothing > 1)
    throw new RangeError(`crossEntropy: labelSmoothing must be in [0, 1], got ${labelSmoothing}`);
  return logits.engine.tidy(() => {
    const logp = logSoftmax(logits, 1);
    const classes = logits.shape[1];
    let target = oneHot(labels, classes, floatType(logits));
    if (labelSmoothing > 0) target = add(mul(target, 1 - labelSmoothing), labelSmoothing / classes);
    return reduceLoss(neg(sum(mul(logp, target), 1)), reduction);
  });
}

/** Mean squared error between equal-shaped tensors. */
export function mseLoss(prediction: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  return prediction.engine.tidy(() => {
    const d = square(sub(prediction, target));
    if (reduction === 'none') return d;
    return reduction === 'sum' ? sum(d) : mean(d);
  });
}

function floatType(t: Tensor): 'float32' | 'float64' {
  return t.dtype === 'float64' ? 'float64' : 'float32';
}

function checkLabels(scores: Tensor, labels: Tensor, name: string): void {
  if (scores.rank !== 2)
    throw new RangeError(`${name}: scores must be [N, C], got ${formatShape(scores.shape)}`);
  if (labels.dtype !== 'int32' || labels.rank !== 1 || labels.shape[0] !== scores.shape[0]) {
    throw new RangeError(
      `${name}: labels must be int32 [${scores.shape[0]}], got ${labels.dtype} ${formatShape(labels.shape)}`,
    );
  }
  // Out-of-range labels would silently give a zero one-hot row; check where reading is free.
  const backend = scores.engine.backend;
  if (backend.readSync) {
    const values = backend.readSync(labels.dataId);
    const c = scores.shape[1];
    for (let i = 0; i < values.length; i++) {
      if (values[i] < 0 || values[i] >= c)
        throw new RangeError(`${name}: label ${values[i]} at ${i} is outside [0, ${c})`);
    }
  }
}
