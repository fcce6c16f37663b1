import { type LayerInfo, linalg, type Tensor } from '@lowrank/core';
import { kernelPositions } from './rank-spec.js';

/**
 * The whitening factor `L` of a `'whitened'` metric as a float64 matrix, after checking
 * that it is `P x P` (`P = I*Kh*Kw`, the layer's im2col patch) and finite. `L` need not
 * be triangular nor invertible: Tucker2-ALS-Sigma only uses `Sigma = L L^T`, so the
 * factor of a rank-deficient Sigma is accepted.
 */
export async function readWhiteningFactor(
  plugin: string,
  layer: LayerInfo,
  factor: Tensor,
): Promise<linalg.Matrix> {
  const p = layer.inChannels * kernelPositions(layer);
  const shape = factor.shape;
  if (shape.length !== 2 || shape[0] !== p || shape[1] !== p) {
    throw new RangeError(
      `${plugin}: the whitening factor for '${layer.name}' is [${shape.join(', ')}]; it must be ${p} x ${p} (P = I*Kh*Kw = ${layer.inChannels}*${kernelPositions(layer)}, the layer's input patch), as the Sigma norm plugin computes it for this layer`,
    );
  }
  const l = await linalg.toMatrix(factor);
  const bad = l.data.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    throw new RangeError(
      `${plugin}: the whitening factor for '${layer.name}' has ${l.data[bad]} at [${Math.floor(bad / p)}, ${bad % p}]; it must be finite`,
    );
  }
  return l;
}
