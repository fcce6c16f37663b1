import type { Engine, nn, Tensor } from '@lowrank/core';
import type { Tucker2Factors } from './factors.js';

/** A Tucker2 layer's three children, as `Tucker2Conv2d` and `Tucker2Linear` have them. */
interface Tucker2Children {
  readonly engine: Engine;
  readonly first: nn.Conv2d | nn.Linear;
  readonly core: nn.Conv2d | nn.Linear;
  readonly last: nn.Conv2d | nn.Linear;
}

/**
 * Copies the factors into a Tucker2 layer, `V^T` into `first`, `G` into `core`, `U` into
 * `last` (and the bias, when `last` has one); returns the layer.
 */
export function loadTucker2Factors<L extends Tucker2Children>(
  layer: L,
  factors: Tucker2Factors,
  bias: Tensor | null,
): L {
  layer.engine.tidy(() => {
    layer.first.weight.copyFrom(factors.v.transpose());
    layer.core.weight.copyFrom(factors.core);
    layer.last.weight.copyFrom(factors.u);
  });
  const b = layer.last.bias;
  if (b && bias) b.copyFrom(bias);
  return layer;
}
