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
  readWhiteningFactor,
  type Tensor,
} from '@lowrank/core';
import { tucker2Cost } from './cost.js';
import { disposeTucker2, reconstructTucker2, type Tucker2Factors, tucker2Ranks } from './factors.js';
import { tucker2Hooi } from './hooi.js';
import { effectiveRanks, kernelPositions, tucker2RankSpec } from './rank-spec.js';
import { tucker2AlsSigma } from './sigma-als.js';
import { tucker2Supports } from './support.js';
import { Tucker2Conv2d } from './tucker2-conv2d.js';
import { Tucker2Linear } from './tucker2-linear.js';
import type { VSolve } from './v-solve.js';

/** HOOI and ALS-Sigma settings; settable at registration and per `decompose` call. */
export interface Tucker2Settings {
  /**
   * HOOI sweeps after the HOSVD initialisation (default 100; 0 gives the HOSVD alone);
   * with the `'whitened'` metric, also the cap on Tucker2-ALS-Sigma sweeps after it.
   */
  maxIterations?: number;
  /** Stop when the relative error changes by less than this between sweeps (default 1e-8). */
  tolerance?: number;
  /**
   * `'whitened'` metric only: where Tucker2-ALS-Sigma starts, the converged Frobenius
   * HOOI (default) or the HOSVD alone.
   */
  init?: 'hooi' | 'hosvd';
  /**
   * `'whitened'` metric only: how the V update solves its `(I R2) x (I R2)` normal
   * equations, `'dense'` (Cholesky), `'matrix-free'` (preconditioned CG) or `'auto'`
   * (default: dense up to `I*R2 = 1024`).
   */
  vSolve?: VSolve;
}

export type Tucker2DecomposeOptions = DecomposeOptions & Tucker2Settings;

export type Tucker2Plugin = DecompositionPlugin<Tucker2Factors>;

const NAME = 'tucker2';

/**
 * The Tucker2 decomposition plugin (Kim et al. 2016): `W ~ G x1 U x2 V` over the output
 * and input channel modes, by HOSVD and HOOI, for ungrouped conv layers (1x1, Kh x Kw,
 * 1x1 convs) and linear layers (three linears; there `svd` is the same approximation
 * with `R^2` fewer parameters). Ranks `[R1, R2]` beyond `R1 <= R2*K`, `R2 <= R1*K`
 * are lowered to those bounds, where nothing is lost. With the `'whitened'` metric
 * (`L`, `L L^T = Sigma`) it runs Tucker2-ALS-Sigma from the Frobenius solution,
 * minimising the layer's output error `‖(W_mat - What_mat) L‖_F` instead.
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
    const metric = options.metric;
    if (metric?.kind !== 'whitened') checkFrobenius(NAME, layer, metric);
    const {
      maxIterations = 100,
      tolerance = 1e-8,
      init = 'hooi',
      vSolve = 'auto',
    } = { ...defaults, ...options };
    if (!Number.isInteger(maxIterations) || maxIterations < 0) {
      throw new RangeError(
        `${NAME}: maxIterations for '${layer.name}' must be a non-negative integer, got ${maxIterations}`,
      );
    }
    if (!(tolerance >= 0))
      throw new RangeError(`${NAME}: tolerance for '${layer.name}' must be >= 0, got ${tolerance}`);
    if (init !== 'hooi' && init !== 'hosvd')
      throw new RangeError(
        `${NAME}: init for '${layer.name}' must be 'hooi' or 'hosvd', got '${String(init)}'`,
      );
    if (vSolve !== 'auto' && vSolve !== 'dense' && vSolve !== 'matrix-free') {
      throw new RangeError(
        `${NAME}: vSolve for '${layer.name}' must be 'auto', 'dense' or 'matrix-free', got '${String(vSolve)}'`,
      );
    }
    const w = await readWeight(NAME, layer, weight);
    const l = metric?.kind === 'whitened' ? await readWhiteningFactor(NAME, layer, metric.factor) : null;
    const [o, i] = [layer.outChannels, layer.inChannels];
    const three = linalg.ndarray([o, i, kernelPositions(layer)], w.data);
    const [r1, r2] = effectiveRanks(layer, ranks);
    const { core, u, v } = l
      ? tucker2AlsSigma(
          three,
          l,
          tucker2Hooi(three, [r1, r2], { maxIterations: init === 'hooi' ? maxIterations : 0, tolerance }),
          { maxIterations, tolerance, vSolve, onIteration: options.onIteration },
        )
      : tucker2Hooi(three, [r1, r2], { maxIterations, tolerance, onIteration: options.onIteration });
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

  const reconstruct = (factors: Tucker2Factors) => reconstructTucker2(factors.u.engine, factors);

  return {
    kind: 'decomposition',
    name: NAME,
    metrics: ['frobenius', 'whitened'],
    supports: tucker2Supports,
    rankSpec: tucker2RankSpec,
    cost(layer, ranks) {
      validated(layer, ranks);
      return tucker2Cost(layer, ranks);
    },
    decompose,
    reconstruct,
    project: projectByDecomposition(decompose, reconstruct, disposeTucker2),
    layer(factors, original, bias): nn.Module {
      const ranks = tucker2Ranks(factors);
      validated(original, ranks);
      checkFactorsFit(NAME, original, factors.weightShape);
      const engine = factors.u.engine;
      const dtype = factors.u.dtype === 'float64' ? 'float64' : 'float32';
      const hasBias = bias !== null;
      const m =
        original.kind === 'linear'
          ? new Tucker2Linear(engine, {
              inFeatures: original.inChannels,
              outFeatures: original.outChannels,
              ranks,
              bias: hasBias,
              dtype,
            })
          : new Tucker2Conv2d(engine, {
              inChannels: original.inChannels,
              outChannels: original.outChannels,
              ranks,
              ...convGeometry(original),
              bias: hasBias,
              dtype,
            });
      return m.loadFactors(factors, bias);
    },
  };
}
