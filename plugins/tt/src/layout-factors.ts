import { type LayerInfo, linalg, type Tensor } from '@lowrank/core';
import { convToOKI, tensorizeMatrix } from './tensorize.js';

/**
 * What the TT and TR plugins' layouts share: a TT-matrix (`'matrix'`, a linear layer's
 * weight over the modes `m_k n_k`) or a conv kernel as `O x K x I` (its other kinds), and
 * the modes of the tensor decomposed.
 */
export interface ModesLayout<K extends string = string> {
  kind: K;
  outModes: readonly number[];
  inModes: readonly number[];
  modes: readonly number[];
}

/** Cores in a layout's factors format (`TtFactors`, `TrFactors`). */
export interface LayoutFactors<K extends string = string> {
  layout: K;
  cores: Tensor[];
  outModes: number[];
  inModes: number[];
  /** The weight the factors stand for: `[O, I]` or `[O, I, Kh, Kw]`. */
  weightShape: number[];
}

/** The weight as the tensor a layout decomposes, shaped to `layout.modes`. */
export function layoutTensor(w: linalg.NdArray, layout: ModesLayout): linalg.NdArray {
  const t = layout.kind === 'matrix' ? tensorizeMatrix(w, layout.outModes, layout.inModes) : convToOKI(w);
  return linalg.ndarray(layout.modes, t.data);
}

/**
 * Float64 cores `[r, n_k, r']` over `layout.modes` as the factors of `layer`, tensors in the
 * dtype and on the engine of `weight`; a TT-matrix core is split to `[r, m_k, n_k, r']`.
 */
export function layoutFactors<K extends string>(
  cores: readonly linalg.NdArray[],
  layout: ModesLayout<K>,
  layer: LayerInfo,
  weight: Tensor,
): LayoutFactors<K> {
  return {
    layout: layout.kind,
    cores: cores.map((c, k) => {
      const shape =
        layout.kind === 'matrix' ? [c.shape[0], layout.outModes[k], layout.inModes[k], c.shape[2]] : c.shape;
      return linalg.fromNdArray(weight.engine, linalg.ndarray(shape, c.data), weight.dtype);
    }),
    outModes: [...layout.outModes],
    inModes: [...layout.inModes],
    weightShape: [...layer.weightShape],
  };
}
