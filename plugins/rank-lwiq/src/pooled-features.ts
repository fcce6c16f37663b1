import { formatShape } from '@lowrank/core';

/**
 * Global average pooling of a layer's output: per sample, the mean of each channel over
 * every position, as an `N x C` row-major float64 array. The output is `[N, C, ...]`
 * (`[N, C, H, W]` for a conv, `[N, C]` for a linear layer, where pooling is the identity).
 */
export function pooledFeatures(
  data: ArrayLike<number>,
  shape: readonly number[],
  layer: string,
): Float64Array {
  if (shape.length < 2) {
    throw new RangeError(
      `lwiq: the output of '${layer}' has shape ${formatShape(shape)}; pooled features need a batch and a channel axis [N, C, ...]`,
    );
  }
  const [n, c] = shape;
  const positions = shape.slice(2).reduce((p, d) => p * d, 1);
  const pooled = new Float64Array(n * c);
  if (positions === 0) return pooled;
  for (let row = 0; row < n * c; row++) {
    let total = 0;
    const start = row * positions;
    for (let p = 0; p < positions; p++) total += data[start + p];
    pooled[row] = total / positions;
  }
  return pooled;
}
