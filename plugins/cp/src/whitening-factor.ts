import { type LayerInfo, linalg, type Tensor } from '@lowrank/core';

/**
 * The whitening factor `L` of a `'whitened'` metric as a float64 matrix, after checking
 * that it is `P x P` for `layer` (`P = I*Kh*Kw`, the im2col patch; `P = I` for a linear
 * layer) and finite. Any square `L` with `L L^T = Sigma` serves; the Cholesky factor from
 * `@lowrank/norm-sigma` is the usual one.
 */
export async function readWhiteningFactor(
  plugin: string,
  layer: LayerInfo,
  factor: Tensor,
): Promise<linalg.Matrix> {
  const [, ...inputDims] = layer.weightShape;
  const p = inputDims.reduce((a, d) => a * d, 1);
  const shape = factor.shape;
  if (shape.length !== 2 || shape[0] !== p || shape[1] !== p) {
    throw new RangeError(
      `${plugin}: the whitening factor L for '${layer.name}' is [${shape.join(', ')}]; it must be P x P = ${p} x ${p} ` +
        `(P = ${inputDims.join('*')}, the layer's ${layer.kind === 'linear' ? 'input size' : 'im2col patch size I*Kh*Kw'}): ` +
        "compute Sigma on this layer's input",
    );
  }
  if (factor.dtype !== 'float32' && factor.dtype !== 'float64') {
    throw new TypeError(
      `${plugin}: the whitening factor L for '${layer.name}' is ${factor.dtype}; expected float32 or float64`,
    );
  }
  const l = await linalg.toMatrix(factor);
  const bad = l.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new RangeError(
      `${plugin}: the whitening factor L for '${layer.name}' has ${l.data[bad]} at (${Math.floor(bad / p)}, ${bad % p}); it must be finite`,
    );
  }
  return l;
}
