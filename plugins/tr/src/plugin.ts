import {
  checkFactorsFit,
  checkFrobenius,
  checkRanks,
  type DecomposeOptions,
  type DecompositionPlugin,
  type LayerInfo,
  linalg,
  type Metric,
  type nn,
  readWeight,
  type Tensor,
} from '@lowrank/core';
import { convToOKI, type SvdRoute, tensorizeMatrix } from '@lowrank/tt';
import { trCost } from './cost.js';
import { disposeTr, reconstructTr, type TrFactors, trFactorRanks } from './factors.js';
import { layoutRankSpec, layoutSupport, requireLayout, type TrLayout, type TrSettings } from './layout.js';
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
  const decompose = async (
    weight: Tensor,
    layer: LayerInfo,
    ranks: readonly number[],
    options: TrDecomposeOptions = {},
  ): Promise<TrFactors> => {
    const layout = requireLayout(layer, settings);
    checkRanks(NAME, layer, ranks, layoutRankSpec(layout));
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
    const w = await readWeight(NAME, layer, weight);
    const tensor = linalg.ndarray(
      layout.modes,
      (layout.kind === 'matrix' ? tensorizeMatrix(w, layout.outModes, layout.inModes) : convToOKI(w)).data,
    );
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
    const engine = weight.engine;
    return {
      layout: layout.kind,
      cores: cores.map((c, k) => {
        const shape =
          layout.kind === 'matrix'
            ? [c.shape[0], layout.outModes[k], layout.inModes[k], c.shape[2]]
            : c.shape;
        return linalg.fromNdArray(engine, linalg.ndarray(shape, c.data), weight.dtype);
      }),
      outModes: [...layout.outModes],
      inModes: [...layout.inModes],
      weightShape: [...layer.weightShape],
    };
  };

  return {
    kind: 'decomposition',
    name: NAME,
    supports: (layer) => layoutSupport(layer, settings),
    rankSpec: (layer) => layoutRankSpec(requireLayout(layer, settings)),
    layout: (layer) => requireLayout(layer, settings),
    cost(layer, ranks) {
      const layout = requireLayout(layer, settings);
      checkRanks(NAME, layer, ranks, layoutRankSpec(layout));
      return trCost(layer, layout, ranks);
    },
    decompose,
    reconstruct: reconstructTr,
    async project(weight: Tensor, layer: LayerInfo, ranks: readonly number[], metric?: Metric) {
      const factors = await decompose(weight, layer, ranks, { metric });
      try {
        return reconstructTr(factors);
      } finally {
        disposeTr(factors);
      }
    },
    layer(factors, original, bias): nn.Module {
      const layout = requireLayout(original, settings);
      const ranks = trFactorRanks(factors);
      checkRanks(NAME, original, ranks, layoutRankSpec(layout));
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
        kernelSize: [...original.kernel],
        stride: [...original.stride],
        padding: [...original.padding],
        dilation: [...original.dilation],
        bias: hasBias,
        dtype,
        order: trConvOrder(original, ranks),
      }).loadFactors(factors.cores, bias);
    },
  };
}
