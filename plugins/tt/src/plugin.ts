import {
  checkFactorsFit,
  checkFrobenius,
  checkRanks,
  convGeometry,
  type DecomposeOptions,
  type DecompositionPlugin,
  type LayerInfo,
  type nn,
  projectByDecomposition,
  readWeight,
  type Tensor,
} from '@lowrank/core';
import { ttCost } from './cost.js';
import { disposeTt, reconstructTt, type TtFactors, ttFactorRanks } from './factors.js';
import { layoutRankSpec, type TtLayout, type TtSettings, ttLayout } from './layout.js';
import { layoutFactors, layoutTensor } from './layout-factors.js';
import { layoutPluginParts } from './layout-plugin-parts.js';
import type { SvdRoute } from './truncate.js';
import { TtChannelConv2d } from './tt-channel-conv2d.js';
import { TtConv2d } from './tt-conv2d.js';
import { TtLinear } from './tt-linear.js';
import { ttSvd } from './tt-svd.js';

/** Options of `decompose`: the SVD route and the accuracy `eps` (then `ranks` are caps, `[]` for none). */
export type TtDecomposeOptions = DecomposeOptions &
  SvdRoute & {
    /** Keep at each step the smallest rank within the caps whose tail meets `‖W - TT‖ <= eps ‖W‖`. */
    eps?: number;
  };

export type TtPlugin = DecompositionPlugin<TtFactors> & {
  /** The layout (TT-matrix or conv layout, mode factorisations) this plugin uses for a layer. */
  layout(layer: LayerInfo): TtLayout;
};

const NAME = 'tt';

/**
 * The tensor-train decomposition plugin (Oseledets 2011): linear layers as TT-matrices (TT-FC,
 * Novikov et al. 2015), conv layers in the three-core layout (default) or with the channels
 * factorised too (`layout: 'channels'`). Ranks are the interior TT ranks; they act as caps, and
 * with the `eps` option of `decompose` the smallest ranks meeting `‖W - TT‖ <= eps ‖W‖` are kept.
 */
export function tt(settings: TtSettings = {}): TtPlugin {
  const parts = layoutPluginParts(NAME, (layer) => ttLayout(layer, settings), layoutRankSpec);

  const decompose = async (
    weight: Tensor,
    layer: LayerInfo,
    ranks: readonly number[],
    options: TtDecomposeOptions = {},
  ): Promise<TtFactors> => {
    const layout = parts.layout(layer);
    const spec = layoutRankSpec(layout);
    const { eps, method, seed, oversample, powerIters } = options;
    // With eps, no ranks means no caps.
    if (!(eps !== undefined && ranks.length === 0)) checkRanks(NAME, layer, ranks, spec);
    if (eps !== undefined && !(eps >= 0 && Number.isFinite(eps))) {
      throw new RangeError(`${NAME}: eps = ${eps} for '${layer.name}' must be a finite number >= 0`);
    }
    checkFrobenius(NAME, layer, options.metric);
    const w = await readWeight(NAME, layer, weight);
    const cores = ttSvd(layoutTensor(w, layout), {
      ranks: ranks.length ? ranks : undefined,
      eps,
      method,
      seed: seed ?? 0,
      oversample,
      powerIters,
    });
    return layoutFactors(cores, layout, layer, weight);
  };

  return {
    kind: 'decomposition',
    name: NAME,
    supports: parts.supports,
    rankSpec: parts.rankSpec,
    layout: parts.layout,
    cost: (layer, ranks) => ttCost(layer, parts.checkedLayout(layer, ranks), ranks),
    decompose,
    reconstruct: reconstructTt,
    project: projectByDecomposition(decompose, reconstructTt, disposeTt),
    layer(factors, original, bias): nn.Module {
      const ranks = ttFactorRanks(factors);
      const layout = parts.checkedLayout(original, ranks);
      checkFactorsFit(NAME, original, factors.weightShape, { factors: factors.layout, layer: layout.kind });
      const engine = factors.cores[0].engine;
      const dtype: 'float32' | 'float64' = factors.cores[0].dtype === 'float64' ? 'float64' : 'float32';
      const hasBias = bias !== null;
      if (factors.layout === 'matrix') {
        return new TtLinear(engine, {
          outModes: factors.outModes,
          inModes: factors.inModes,
          ranks,
          bias: hasBias,
          dtype,
        }).loadFactors(factors.cores, bias);
      }
      const geometry = { ...convGeometry(original), bias: hasBias, dtype };
      if (factors.layout === 'three-core') {
        const config = {
          inChannels: original.inChannels,
          outChannels: original.outChannels,
          ranks: [ranks[0], ranks[1]] as [number, number],
          ...geometry,
        };
        return new TtConv2d(engine, config).loadFactors(factors.cores, bias);
      }
      return new TtChannelConv2d(engine, {
        outModes: factors.outModes,
        inModes: factors.inModes,
        ranks,
        ...geometry,
      }).loadFactors(factors.cores, bias);
    },
  };
}
