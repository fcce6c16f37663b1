import type { Tensor } from '../tensor.js';
import { div, greaterEqual, mul } from './elementwise.js';

/**
 * Inverted dropout: in training, zeroes each entry with probability `p` (from the
 * engine's seeded generator) and scales the rest by 1/(1-p); identity otherwise.
 */
export function dropout(x: Tensor, p: number, training = true): Tensor {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x.reshape(x.shape);
  return x.engine.tidy(() => {
    const keep = greaterEqual(
      x.engine.rand(x.shape, { dtype: x.dtype === 'float64' ? 'float64' : 'float32' }),
      p,
    );
    return div(mul(x, keep), 1 - p);
  });
}
