import {
  checkFactorsFit,
  checkFrobenius,
  checkRanks,
  checkSupported,
  type DecomposeOptions,
  type DecompositionPlugin,
  type LayerInfo,
  linalg,
  type Metric,
  type nn,
  readWeight,
  type Tensor,
} from '@lowrank/core';
import { tucker2Cost } from './cost.js';
import { disposeTucker2, reconstructTucker2, type Tucker2Factors, tucker2Ranks } from './factors.js';
import { tucker2Hooi } from './hooi.js';
import { effectiveRanks, kernelPositions, tucker2RankSpec } from './rank-spec.js';
import { tucker2Supports } from './support.js';
import { Tucker2Conv2d } from './tucker2-conv2d.js';
import { Tucker2Linear } from './tucker2-linear.js';

/** HOOI settings; settable at registration and per `decompose` call. */
export interface Tucker2Settings {
  /** HOOI sweeps after the HOSVD initialisation (default 100; 0 gives the HOSVD alone). */
  maxIterations?: number;
  /** Stop when the relative error changes by less than this between sweeps (default 1e-8). */
  tolerance?: number;
}

export type Tucker2DecomposeOptions = DecomposeOptions & Tucker2Settings;

export type Tucker2Plugin = DecompositionPlugin<Tucker2Factors>;

const NAME = 'tucker2';

/**
 * The Tucker2 decomposition plugin (Kim et al. 2016): `W ~ G x1 U x2 V` over the output
 * and input channel modes, by HOSVD and HOOI, for ungrouped conv layers (1x1, Kh x Kw,
 * 1x1 convs) and linear layers (three linears; there `svd` is the same approximation
 * with `R^2` fewer parameters). Ranks `[R1, R2]` beyond `R1 <= R2*K`, `R2 <= R1*K`
 * are lowered to those bounds, where nothing is lost.
 */
export function tucker2(defaults: Tucker2Settings = {}): Tucker2Plugin {
  const validated = (layer: LayerInfo, ranks: readonly number[]) => {
    checkSupported(NAME, layer, tucker2Supports(layer));
    checkRanks(NAME, layer, ranks, tucker2RankSpec(layer));
  };

  const decompose = async (
    weight: Tensor,
    layer: LayerInfo,
    ranks: readonly number[],
    options: Tucker2DecomposeOptions = {},
  ): Promise<Tucker2Factors> => {
    validated(layer, ranks);
    checkFrobenius(NAME, layer, options.metric);
    const { maxIterations = 100, tolerance = 1e-8 } = { ...defaults, ...options };
    if (!Number.isInteger(maxIterations) || maxIterations < 0) {
      throw new RangeError(
        `${NAME}: maxIterations for '${layer.name}' must be a non-negative integer, got ${maxIterations}`,
      );
    }
    if (!(tolerance >= 0))
      throw new RangeError(`${NAME}: tolerance for '${layer.name}' must be >= 0, got ${tolerance}`);
    const w = await readWeight(NAME, layer, weight);
    const [o, i] = [layer.outChannels, layer.inChannels];
    const three = linalg.ndarray([o, i, kernelPositions(layer)], w.data);
    const [r1, r2] = effectiveRanks(layer, ranks);
    const { core, u, v } = tucker2Hooi(three, [r1, r2], {
      maxIterations,
      tolerance,
      onIteration: options.onIteration,
    });
    const engine = weight.engine;
    const dtype = weight.dtype;
    return {
      core: linalg.fromNdArray(
        engine,
        linalg.ndarray([r1, r2, ...layer.weightShape.slice(2)], core.data),
        dtype,
      ),
      u: linalg.fromMatrix(engine, u, dtype),
      v: linalg.fromMatrix(engine, v, dtype),
      weightShape: [...layer.weightShape],
    };
  };

  return {
    kind: 'decomposition',
    name: NAME,
    supports: tucker2Supports,
    rankSpec: tucker2RankSpec,
    cost(layer, ranks) {
      validated(layer, ranks);
      return tucker2Cost(layer, ranks);
    },
    decompose,
    reconstruct: (factors) => reconstructTucker2(factors.u.engine, factors),
    async project(weight: Tensor, layer: LayerInfo, ranks: readonly number[], metric?: Metric) {
      const factors = await decompose(weight, layer, ranks, { metric });
      try {
        return reconstructTucker2(weight.engine, factors);
      } finally {
        disposeTucker2(factors);
      }
    },
    layer(factors, original, bias): nn.Module {
      const ranks = tucker2Ranks(factors);
      validated(original, ranks);
      checkFactorsFit(NAME, original, factors.weightShape);
      const engine = factors.u.engine;
      const dtype = factors.u.dtype === 'float64' ? 'float64' : 'float32';
      if (original.kind === 'linear') {
        const m = new Tucker2Linear(engine, {
          inFeatures: original.inChannels,
          outFeatures: original.outChannels,
          ranks,
          bias: bias !== null,
          dtype,
        });
        return m.loadFactors(factors, bias);
      }
      const m = new Tucker2Conv2d(engine, {
        inChannels: original.inChannels,
        outChannels: original.outChannels,
        ranks,
        kernelSize: [...original.kernel],
        stride: [...original.stride],
        padding: [...original.padding],
        dilation: [...original.dilation],
        bias: bias !== null,
        dtype,
      });
      return m.loadFactors(factors, bias);
    },
  };
}
