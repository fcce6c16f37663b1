import type { Tensor } from '../tensor.js';
import { div, exp, sub } from './elementwise.js';
import { logSumExp, max, sum } from './reduce.js';

/** Softmax along `axis`, computed stably (the max is subtracted first). */
export function softmax(x: Tensor, axis = -1): Tensor {
  return x.engine.tidy(() => {
    const m = x.engine.noGrad(() => max(x, axis, true));
    const e = exp(sub(x, m));
    return div(e, sum(e, axis, true));
  });
}

/** log(softmax(x)) along `axis`, without forming the softmax. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return x.engine.tidy(() => sub(x, logSumExp(x, axis, true)));
}
