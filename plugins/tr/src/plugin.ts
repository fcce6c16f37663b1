import {
  checkFactorsFit,
  checkFrobenius,
  convGeometry,
  type DecomposeOptions,
  type DecompositionPlugin,
  type LayerInfo,
  type nn,
  projectByDecomposition,
  readWeight,
  type Tensor,
} from '@lowrank/core';
import { layoutFactors, layoutPluginParts, layoutTensor, type SvdRoute } from '@lowrank/tt';
import { trCost } from './cost.js';
import { disposeTr, reconstructTr, type TrFactors, trFactorRanks } from './factors.js';
import { layoutRankSpec, type TrLayout, type TrSettings, trLayout } from './layout.js';
import { trAls } from './tr-als.js';
import { trConvOrder } from './tr-conv-order.js';
import { TrConv2d } from './tr-conv2d.js';
import { TrLinear } from './tr-linear.js';
import { cheapestOrder } from './tr-linear-plan.js';
import { trRanks } from './tr-reconstruct.js';
import { trSvd } from './tr-svd.js';

/** Options of `decompose`. */
export type TrDecomposeOptions = DecomposeOptions &
  SvdRoute & {
    /**
     * `'als'` (default): TR-ALS started from TR-SVD (never worse than it); `'svd'`: TR-SVD alone
     * (one pass, fastest).
     */
    algorithm?: 'als' | 'svd';
    /** TR-ALS: where to start, `'svd'` (default) or seeded `'random'` cores. */
    init?: 'svd' | 'random';
    /** TR-ALS: most sweeps (default 50). */
    maxIterations?: number;
    /** TR-ALS: stop when a sweep changes the relative error by less than this (default 1e-6). */
    tol?: number;
  };

export type TrPlugin = DecompositionPlugin<TrFactors> & {
  /** The ring layout (TR-FC modes or the conv ring, and the mode TR-SVD cuts at) of a layer. */
  layout(layer: LayerInfo): TrLayout;
};

const NAME = 'tr';

/**
 * The tensor-ring decomposition plugin (Zhao et al. 2016): linear layers as TR-FC rings over
 * the modes `m_k n_k` (the input contracted with one core at a time in the cheapest order),
 * conv layers as the ring `O x K x I` run as three convs in the cheaper of the PSTRN order
 * and the kernel-first order (`TrConvOrder`). Ranks are the ring ranks `[R_0, ..., R_{d-1}]`.
 */
export function tr(settings: TrSettings = {}): TrPlugin {
  const parts = layoutPluginParts(NAME, (layer) => trLayout(layer, settings), layoutRankSpec);
  const decompose = async (
    weight: Tensor,
    layer: LayerInfo,
    ranks: readonly number[],
    options: TrDecomposeOptions = {},
  ): Promise<TrFactors> => {
    const layout = parts.checkedLayout(layer, ranks);
    checkFrobenius(NAME, layer, options.metric);
    const {
      algorithm = 'als',
      init = 'svd',
      maxIterations = 50,
      tol = 1e-6,
      seed = 0,
      onIteration,
      method,
      oversample,
      powerIters,
    } = options;
    if (algorithm !== 'als' && algorithm !== 'svd')
      throw new RangeError(
        `${NAME}: unknown algorithm '${String(algorithm)}' for '${layer.name}'; use 'als' or 'svd'`,
      );
    if (init !== 'svd' && init !== 'random')
      throw new RangeError(
        `${NAME}: unknown init '${String(init)}' for '${layer.name}'; use 'svd' or 'random'`,
      );
    const tensor = layoutTensor(await readWeight(NAME, layer, weight), layout);
    const route = { method, oversample, powerIters, seed };
    const start =
      algorithm === 'svd' || init === 'svd'
        ? trSvd(tensor, ranks, { ...route, start: layout.start })
        : undefined;
    // From TR-SVD, ALS keeps its ranks (the requested ones clipped to what the unfoldings carry).
    const cores =
      algorithm === 'svd'
        ? start!
        : trAls(tensor, start ? trRanks(start) : ranks, {
            init: start,
            seed,
            maxIterations,
            tol,
            onIteration,
          });
    return layoutFactors(cores, layout, layer, weight);
  };

  return {
    kind: 'decomposition',
    name: NAME,
    supports: parts.supports,
    rankSpec: parts.rankSpec,
    layout: parts.layout,
    cost: (layer, ranks) => trCost(layer, parts.checkedLayout(layer, ranks), ranks),
    decompose,
    reconstruct: reconstructTr,
    project: projectByDecomposition(decompose, reconstructTr, disposeTr),
    layer(factors, original, bias): nn.Module {
      const ranks = trFactorRanks(factors);
      const layout = parts.checkedLayout(original, ranks);
      checkFactorsFit(NAME, original, factors.weightShape, { factors: factors.layout, layer: layout.kind });
      const engine = factors.cores[0].engine;
      const dtype: 'float32' | 'float64' = factors.cores[0].dtype === 'float64' ? 'float64' : 'float32';
      const hasBias = bias !== null;
      if (factors.layout === 'matrix') {
        return new TrLinear(engine, {
          outModes: factors.outModes,
          inModes: factors.inModes,
          ranks,
          bias: hasBias,
          dtype,
          order: cheapestOrder(factors.outModes, factors.inModes, ranks),
        }).loadFactors(factors.cores, bias);
      }
      return new TrConv2d(engine, {
        inChannels: original.inChannels,
        outChannels: original.outChannels,
        ranks: [ranks[0], ranks[1], ranks[2]],
        ...convGeometry(original),
        bias: hasBias,
        dtype,
        order: trConvOrder(original, ranks),
      }).loadFactors(factors.cores, bias);
    },
  };
}
