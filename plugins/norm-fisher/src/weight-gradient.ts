import { formatShape, type LayerInfo, matmul, type Tensor } from '@lowrank/core';

/**
 * The gradient with respect to the layer's weight of `<layer(input), delta>`, where
 * `delta` is the loss gradient at the layer's output (bias excluded): `delta^T input`
 * for a linear layer (`[N, I]`, `[N, O]`), the conv's filter gradient for a conv layer
 * (`[N, I, H, W]`, `[N, O, Ho, Wo]`). Summed over the samples given.
 */
export function weightGradient(layer: LayerInfo, input: Tensor, delta: Tensor): Tensor {
  const engine = input.engine;
  if (layer.kind === 'linear') {
    if (input.rank !== 2 || delta.rank !== 2) {
      throw new RangeError(
        `fisher: '${layer.name}' is linear with input ${formatShape(input.shape)}; per-sample gradients need inputs [N, ${layer.inChannels}] (one row per sample)`,
      );
    }
    return matmul(delta, input, { transA: true });
  }
  return engine.runKernel('conv2dGradFilter', [input, delta], {
    stride: [...layer.stride],
    padding: [...layer.padding],
    dilation: [...layer.dilation],
    groups: layer.groups,
    filterShape: [...layer.weightShape],
  })[0];
}
