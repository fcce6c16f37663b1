import type { Tensor } from '../tensor.js';
import type { LayerInfo } from './layer-info.js';
import type { Metric } from './metric.js';

/**
 * The bias of a decomposed layer under a centred whitened metric: `b + (W_mat -
 * What_mat) mu`, which moves the layer's mean output error into its bias (exactly, on the
 * calibration data); a layer without bias gets one (`O` parameters). Any other metric
 * leaves the bias as it is (`bias` itself is returned).
 */
export function correctedBias(
  metric: Metric,
  weight: Tensor,
  approx: Tensor,
  bias: Tensor | null,
  layer: LayerInfo,
): Tensor | null {
  if (metric.kind !== 'whitened' || !metric.mean) return bias;
  const mean = metric.mean;
  const engine = weight.engine;
  const [outputs, ...inputDims] = weight.shape;
  const p = inputDims.reduce((a, d) => a * d, 1);
  if (mean.size !== p) {
    throw new RangeError(
      `correctedBias: the mean of the whitened metric for '${layer.name}' has ${mean.size} entries; the layer's input patch has P = ${p}`,
    );
  }
  if (bias && bias.size !== outputs) {
    throw new RangeError(
      `correctedBias: the bias of '${layer.name}' has ${bias.size} entries; the layer has ${outputs} outputs`,
    );
  }
  return engine.tidy(() => {
    const delta = weight.sub(approx).reshape([outputs, p]);
    const shift = delta.matmul(mean.cast(weight.dtype).reshape([p, 1])).reshape([outputs]);
    return bias ? bias.add(shift.cast(bias.dtype)) : shift;
  });
}
