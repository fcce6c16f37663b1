/**
 * The input checks every decomposition plugin makes before computing, so that a bad
 * layer, rank, metric or weight fails up front with a message naming the plugin and
 * the layer, never deep inside a kernel.
 */
import { type Matrix, type NdArray, toMatrix, toNdArray } from '../linalg/index.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import type { LayerInfo } from './layer-info.js';
import type { Metric } from './metric.js';
import type { RankSpec, Support } from './plugin.js';

/** Throws the plugin's reason for refusing the layer. */
export function checkSupported(plugin: string, layer: LayerInfo, support: Support): void {
  if (!support.ok) throw new Error(`${plugin}: cannot decompose '${layer.name}': ${support.reason}`);
}

/** Throws unless there is one integer rank per label of `spec`, each within its bounds. */
export function checkRanks(plugin: string, layer: LayerInfo, ranks: readonly number[], spec: RankSpec): void {
  if (ranks.length !== spec.labels.length) {
    throw new RangeError(
      `${plugin}: '${layer.name}' takes ${spec.labels.length} rank(s) [${spec.labels.join(', ')}], got [${ranks.join(', ')}]`,
    );
  }
  ranks.forEach((r, i) => {
    if (!Number.isInteger(r) || r < spec.min[i] || r > spec.max[i]) {
      throw new RangeError(
        `${plugin}: rank ${spec.labels[i]} = ${r} of '${layer.name}' (weight ${formatShape(layer.weightShape)}) must be an integer in [${spec.min[i]}, ${spec.max[i]}]`,
      );
    }
  });
}

/**
 * Throws unless factors computed for a weight of `weightShape` (and, for plugins with
 * several layouts, in `layout.factors`) can build the factorized layer of `layer`.
 */
export function checkFactorsFit(
  plugin: string,
  layer: LayerInfo,
  weightShape: readonly number[],
  layout?: { factors: string; layer: string },
): void {
  const sameShape = weightShape.join() === layer.weightShape.join();
  if (sameShape && (!layout || layout.factors === layout.layer)) return;
  const where = layout ? `${layout.factors} factors of a` : 'factors of a';
  const what = layout
    ? `(weight [${layer.weightShape}], layout ${layout.layer})`
    : `, whose weight is [${layer.weightShape}]`;
  throw new RangeError(
    `${plugin}: ${where} [${weightShape}] weight cannot replace '${layer.name}'${layout ? ' ' : ''}${what}`,
  );
}

/** Throws unless the metric is Frobenius (or absent): the other kinds come with the norm plugins. */
export function checkFrobenius(plugin: string, layer: LayerInfo, metric: Metric | undefined): void {
  if (metric === undefined || metric.kind === 'frobenius') return;
  throw new Error(
    `${plugin}: the '${metric.kind}' metric asked for '${layer.name}' has no solver in this plugin; ` +
      'only Frobenius is built in, the norm plugins (Sigma, Fisher) provide the others',
  );
}

/** The weight as a float64 array, after checking its dtype, its shape against the layer and that it is finite. */
export async function readWeight(plugin: string, layer: LayerInfo, weight: Tensor): Promise<NdArray> {
  if (weight.dtype !== 'float32' && weight.dtype !== 'float64') {
    throw new TypeError(
      `${plugin}: the weight of '${layer.name}' is ${weight.dtype}; expected float32 or float64`,
    );
  }
  const shape = weight.shape;
  if (shape.length !== layer.weightShape.length || shape.some((d, i) => d !== layer.weightShape[i])) {
    throw new RangeError(
      `${plugin}: the weight of '${layer.name}' is ${formatShape(shape)}, its layer info says ${formatShape(layer.weightShape)}`,
    );
  }
  const w = await toNdArray(weight);
  const bad = w.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new RangeError(
      `${plugin}: the weight of '${layer.name}' has ${w.data[bad]} at flat index ${bad}; it must be finite`,
    );
  }
  return w;
}

/**
 * The factor `L` of a `'whitened'` metric as a float64 matrix, after checking that it is
 * `P x P` for `layer` (`P = I*Kh*Kw`, the im2col patch; `P = I` for a linear layer), a
 * float tensor and finite. Any square `L` with `L L^T = Sigma` passes; a plugin that needs
 * more (SVD-Sigma inverts a triangular `L`) checks that itself.
 */
export async function readWhiteningFactor(plugin: string, layer: LayerInfo, factor: Tensor): Promise<Matrix> {
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
  const l = await toMatrix(factor);
  const bad = l.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new RangeError(
      `${plugin}: the whitening factor L for '${layer.name}' has ${l.data[bad]} at (${Math.floor(bad / p)}, ${bad % p}); it must be finite`,
    );
  }
  return l;
}
