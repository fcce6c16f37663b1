import { type LayerInfo, type nn, reshape, slice, type Tensor, transpose } from '@lowrank/core';

/**
 * The dense weight a (factorized) conv or linear layer computes, as a differentiable
 * function of its parameters: the layer is affine in its input, so its response to unit
 * inputs, less its response to zero (the bias), is its weight. Works for every
 * decomposition's layer without knowing how it stores its factors (the plugins'
 * `layer()` copies factors into ordinary sub-layers, so `reconstruct` cannot be applied
 * to a module's parameters in general).
 *
 * Linear `[O, I]`: probes are the rows of the identity. Conv `[O, I, Kh, Kw]`: one probe
 * image per weight column `(i, kh, kw)`, with a one at that tap of the window of an
 * output position whose window lies inside the image (past the padding), read there.
 */
export function effectiveWeight(module: nn.Module, layer: LayerInfo): Tensor {
  if (layer.groups !== 1) {
    throw new Error(
      `effectiveWeight: '${layer.name}' is a grouped conv (groups ${layer.groups}); not supported`,
    );
  }
  const engine = module.engine;
  const dtype = module.parameters()[0]?.dtype === 'float64' ? 'float64' : 'float32';
  const alloc = (n: number) => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
  return engine.tidy(() => {
    if (layer.kind === 'linear') {
      const i = layer.inChannels;
      const response = module.call(engine.eye(i, i, dtype));
      const bias = module.call(engine.zeros([1, i], dtype));
      return transpose(response.sub(bias));
    }
    const [kh, kw] = layer.kernel;
    const [sh, sw] = layer.stride;
    const [dh, dw] = layer.dilation;
    const [top, , left] = layer.padding;
    // The first output position whose window starts inside the image, and where it starts.
    const oy = Math.ceil(top / sh);
    const ox = Math.ceil(left / sw);
    const row0 = oy * sh - top;
    const col0 = ox * sw - left;
    const h = row0 + dh * (kh - 1) + 1;
    const w = col0 + dw * (kw - 1) + 1;
    const channels = layer.inChannels;
    const columns = channels * kh * kw;
    const probes = alloc(columns * channels * h * w);
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          const p = (c * kh + y) * kw + x;
          probes[((p * channels + c) * h + row0 + y * dh) * w + col0 + x * dw] = 1;
        }
      }
    }
    const response = slice(module.call(engine.fromData(probes, [columns, channels, h, w])), [
      null,
      null,
      oy,
      ox,
    ]);
    const bias = slice(module.call(engine.zeros([1, channels, h, w], dtype)), [null, null, oy, ox]);
    return reshape(transpose(response.sub(bias)), layer.weightShape);
  });
}
