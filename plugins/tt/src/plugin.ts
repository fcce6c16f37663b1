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
import { ttCost } from './cost.js';
import { disposeTt, reconstructTt, type TtFactors, ttFactorRanks } from './factors.js';
import { layoutRankSpec, layoutSupport, requireLayout, type TtLayout, type TtSettings } from './layout.js';
import { convToOKI, tensorizeMatrix } from './tensorize.js';
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
  const rankSpec = (layer: LayerInfo) => layoutRankSpec(requireLayout(layer, settings));

  const decompose = async (
    weight: Tensor,
    layer: LayerInfo,
    ranks: readonly number[],
    options: TtDecomposeOptions = {},
  ): Promise<TtFactors> => {
    const layout = requireLayout(layer, settings);
    const spec = layoutRankSpec(layout);
    const { eps, method, seed, oversample, powerIters } = options;
    // With eps, no ranks means no caps.
    if (!(eps !== undefined && ranks.length === 0)) checkRanks(NAME, layer, ranks, spec);
    if (eps !== undefined && !(eps >= 0 && Number.isFinite(eps))) {
      throw new RangeError(`${NAME}: eps = ${eps} for '${layer.name}' must be a finite number >= 0`);
    }
    checkFrobenius(NAME, layer, options.metric);
    const w = await readWeight(NAME, layer, weight);
    const tensor =
      layout.kind === 'matrix' ? tensorizeMatrix(w, layout.outModes, layout.inModes) : convToOKI(w);
    const cores = ttSvd(linalg.ndarray(layout.modes, tensor.data), {
      ranks: ranks.length ? ranks : undefined,
      eps,
      method,
      seed: seed ?? 0,
      oversample,
      powerIters,
    });
    const engine = weight.engine;
    const dtype = weight.dtype;
    return {
      layout: layout.kind,
      cores: cores.map((c, k) => {
        const shape =
          layout.kind === 'matrix'
            ? [c.shape[0], layout.outModes[k], layout.inModes[k], c.shape[2]]
            : c.shape;
        return linalg.fromNdArray(engine, linalg.ndarray(shape, c.data), dtype);
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
    rankSpec,
    layout: (layer) => requireLayout(layer, settings),
    cost(layer, ranks) {
      const layout = requireLayout(layer, settings);
      checkRanks(NAME, layer, ranks, layoutRankSpec(layout));
      return ttCost(layer, layout, ranks);
    },
    decompose,
    reconstruct: reconstructTt,
    async project(weight: Tensor, layer: LayerInfo, ranks: readonly number[], metric?: Metric) {
      const factors = await decompose(weight, layer, ranks, { metric });
      try {
        return reconstructTt(factors);
      } finally {
        disposeTt(factors);
      }
    },
    layer(factors, original, bias): nn.Module {
      const layout = requireLayout(original, settings);
      const ranks = ttFactorRanks(factors);
      checkRanks(NAME, original, ranks, layoutRankSpec(layout));
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
      const geometry = {
        kernelSize: [...original.kernel] as [number, number],
        stride: [...original.stride] as [number, number],
        padding: [...original.padding] as [number, number, number, number],
        dilation: [...original.dilation] as [number, number],
        bias: hasBias,
        dtype,
      };
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
