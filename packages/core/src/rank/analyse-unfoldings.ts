import type { LayerInfo } from '../decomposition/layer-info.js';
import type { RankSpec } from '../decomposition/plugin.js';
import type { Matrix } from '../linalg/matrix.js';
import { toNdArray } from '../linalg/tensor-bridge.js';
import type { SelectionContext } from './plugin.js';
import { rankUnfoldings } from './unfoldings.js';

/** One layer of a selection: its rank bounds and, per rank, its unfolding's label and analysis. */
export interface AnalysedLayer<T> {
  info: LayerInfo;
  spec: RankSpec;
  /** One entry per rank, in the order of `spec`. */
  unfoldings: { label: string; analysis: T }[];
}

/**
 * The first step of a spectral rank selector (energy, VBMF): for every layer of the
 * context, the decomposition's rank bounds and `analyse` of the matrix whose spectrum
 * informs each rank (`rankUnfoldings`). A matrix shared by several ranks is analysed once.
 * `selector` names the caller in the error for a layer with NaN or Inf weights.
 */
export async function analyseUnfoldings<T>(
  context: SelectionContext,
  selector: string,
  analyse: (matrix: Matrix) => T,
): Promise<AnalysedLayer<T>[]> {
  const layers: AnalysedLayer<T>[] = [];
  for (const { info, weight } of context.layers) {
    const spec = context.decomposition.rankSpec(info);
    const w = await toNdArray(weight);
    if (!w.data.every(Number.isFinite)) {
      throw new Error(`${selector}: layer '${info.name}' has NaN or Inf weights`);
    }
    const analysed = new Map<Matrix, T>();
    const unfoldings = rankUnfoldings(w, spec).map(({ label, matrix }) => {
      const analysis = analysed.has(matrix) ? (analysed.get(matrix) as T) : analyse(matrix);
      analysed.set(matrix, analysis);
      return { label, analysis };
    });
    layers.push({ info, spec, unfoldings });
  }
  return layers;
}
