import type { Tensor } from '../tensor.js';
import type { DecompositionPlugin } from './plugin.js';

/**
 * A plugin's `project` as `reconstruct(decompose(...))` with the given metric, the factors
 * freed once the dense weight is made (also when reconstructing fails): what every plugin
 * whose `decompose` already solves the projection needs.
 */
export function projectByDecomposition<F>(
  decompose: DecompositionPlugin<F>['decompose'],
  reconstruct: (factors: F) => Tensor,
  dispose: (factors: F) => void,
): DecompositionPlugin<F>['project'] {
  return async (weight, layer, ranks, metric) => {
    const factors = await decompose(weight, layer, ranks, { metric });
    try {
      return reconstruct(factors);
    } finally {
      dispose(factors);
    }
  };
}
