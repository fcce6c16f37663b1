import {
  checkFactorsFit,
  checkFrobenius,
  checkRanks,
  checkSupported,
  convGeometry,
  type DecomposeOptions,
  type DecompositionPlugin,
  type LayerInfo,
  linalg,
  type nn,
  projectByDecomposition,
  readWeight,
  type Tensor,
} from '@lowrank/core';
import { svdCost } from './cost.js';
import { disposeSvd, reconstructSvd, type SvdFactors, svdFactorsOf, svdRank } from './factors.js';
import { matrixColumns, svdRankSpec } from './rank-spec.js';
import { svdSupports } from './support.js';
import { SvdConv2d } from './svd-conv2d.js';
import { SvdLinear } from './svd-linear.js';
import { svdSigma } from './svd-sigma.js';
import { splitTruncatedSvd } from './truncated-svd.js';

/** How the truncated SVD is computed; settable at registration and per `decompose` call. */
export interface SvdSettings {
  /**
   * `linalg.svdTruncated`'s route: `'auto'` (the default: Gram eigendecomposition for
   * very wide or tall matrices, randomized for large ones at small ranks, economy SVD
   * otherwise), `'full'` (economy SVD, exact), `'gram'` or `'randomized'`.
   */
  method?: linalg.TruncatedMethod;
  /** Randomized method: extra sketch columns (default 10). */
  oversample?: number;
  /** Randomized method: power iterations (default 2). */
  powerIters?: number;
}

export type SvdDecomposeOptions = DecomposeOptions & SvdSettings;

export type SvdPlugin = DecompositionPlugin<SvdFactors>;

const NAME = 'svd';
const METHODS: readonly string[] = ['auto', 'full', 'gram', 'randomized'];

/**
 * The SVD decomposition plugin: `W_mat ~ (U_r sqrt(S_r)) (sqrt(S_r) V_r^T)`, optimal
 * in the Frobenius norm at every rank (Eckart-Young), for linear layers and
 * ungrouped conv layers (`W_mat` is the `O x I*Kh*Kw` im2col matrix). With the
 * `{ kind: 'whitened', factor: L }` metric it computes SVD-Sigma instead, optimal in
 * `‖(W_mat - What_mat) L‖_F` (see `svdSigma`).
 */
export function svd(defaults: SvdSettings = {}): SvdPlugin {
  const validated = (layer: LayerInfo, ranks: readonly number[]) => {
    checkSupported(NAME, layer, svdSupports(layer));
    checkRanks(NAME, layer, ranks, svdRankSpec(layer));
  };

  const decompose = async (
    weight: Tensor,
    layer: LayerInfo,
    ranks: readonly number[],
    options: SvdDecomposeOptions = {},
  ): Promise<SvdFactors> => {
    validated(layer, ranks);
    const metric = options.metric;
    if (metric?.kind === 'whitened') return svdSigma(weight, layer, ranks[0], metric.factor);
    checkFrobenius(NAME, layer, metric);
    const settings = { ...defaults, ...options };
    const method = settings.method ?? 'auto';
    if (!METHODS.includes(method)) {
      throw new RangeError(
        `${NAME}: unknown method '${String(method)}' for '${layer.name}'; use one of ${METHODS.join(', ')}`,
      );
    }
    const w = await readWeight(NAME, layer, weight);
    const wMat = linalg.matrix(layer.outChannels, matrixColumns(layer), w.data);
    const split = splitTruncatedSvd(wMat, ranks[0], {
      method,
      seed: options.seed ?? 0,
      oversample: settings.oversample,
      powerIters: settings.powerIters,
    });
    return svdFactorsOf(split, weight, layer.weightShape);
  };

  const reconstruct = (factors: SvdFactors) => reconstructSvd(factors.u.engine, factors);

  return {
    kind: 'decomposition',
    name: NAME,
    metrics: ['frobenius', 'whitened'],
    supports: svdSupports,
    rankSpec: svdRankSpec,
    cost(layer, ranks) {
      validated(layer, ranks);
      return svdCost(layer, ranks);
    },
    decompose,
    reconstruct,
    project: projectByDecomposition(decompose, reconstruct, disposeSvd),
    layer(factors, original, bias): nn.Module {
      const rank = svdRank(factors);
      validated(original, [rank]);
      checkFactorsFit(NAME, original, factors.weightShape);
      const engine = factors.u.engine;
      const dtype = factors.u.dtype === 'float64' ? 'float64' : 'float32';
      const hasBias = bias !== null;
      const m =
        original.kind === 'linear'
          ? new SvdLinear(engine, {
              inFeatures: original.inChannels,
              outFeatures: original.outChannels,
              rank,
              bias: hasBias,
              dtype,
            })
          : new SvdConv2d(engine, {
              inChannels: original.inChannels,
              outChannels: original.outChannels,
              rank,
              ...convGeometry(original),
              bias: hasBias,
              dtype,
            });
      return m.loadFactors(factors, bias);
    },
  };
}
