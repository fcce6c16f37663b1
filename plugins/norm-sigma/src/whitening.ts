import { type Engine, type LayerInfo, linalg, type Metric } from '@lowrank/core';
import { patchLength } from './patches.js';
import { SigmaStatistics } from './sigma-statistics.js';

/** The whitening factor of a layer and how much jitter its Cholesky needed. */
export interface Whitening {
  metric: Extract<Metric, { kind: 'whitened' }>;
  /** `eps` used, relative to `trace(Sigma)/P` (0 when Sigma was positive definite). */
  relativeJitter: number;
}

export interface WhiteningOptions {
  /**
   * Whiten the centred covariance `Sigma - mu mu^T` and put `mu` in the metric, so the
   * mean output error goes into the bias (core's `correctedBias`) instead of using ranks.
   */
  centred?: boolean;
}

/**
 * `L` with `L L^T = Sigma + eps I` (the uncentred moment, for which `E‖(W - What)
 * x_p‖^2 = ‖(W_mat - What_mat) L‖_F^2` exactly; or the centred covariance, with the mean
 * in the metric), `eps` escalating from 1e-9 to 1e-3 of `trace/P` until the Cholesky
 * succeeds; as a float64 `P x P` tensor.
 */
export function whitening(
  engine: Engine,
  layer: LayerInfo,
  stats: unknown,
  options: WhiteningOptions = {},
): Whitening {
  if (!(stats instanceof SigmaStatistics)) {
    throw new TypeError(
      `sigma: the statistics of '${layer.name}' are not SigmaStatistics; collect them with sigma().collector(...) or load them with SigmaStatistics.fromJSON`,
    );
  }
  const p = patchLength(layer);
  if (stats.size !== p) {
    throw new RangeError(
      `sigma: statistics with P = ${stats.size} (from '${stats.layer.name}') do not fit '${layer.name}', whose P = I*Kh*Kw is ${p}`,
    );
  }
  let factor: linalg.Cholesky;
  try {
    factor = linalg.cholesky(options.centred ? stats.covariance() : stats.sigma(), { jitter: true });
  } catch (e) {
    throw new Error(
      `sigma: the input ${options.centred ? 'covariance' : 'second moment'} of '${layer.name}' stays singular even with jitter 1e-3 * trace/P (${(e as Error).message}); calibrate on more or more varied data`,
    );
  }
  return {
    metric: {
      kind: 'whitened',
      factor: linalg.fromMatrix(engine, factor.L, 'float64'),
      ...(options.centred && { mean: engine.fromData(stats.mean(), [p]) }),
    },
    relativeJitter: factor.relativeJitter,
  };
}
