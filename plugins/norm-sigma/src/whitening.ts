import { type Engine, type LayerInfo, linalg, type Metric } from '@lowrank/core';
import { patchLength } from './patches.js';
import { SigmaStatistics } from './sigma-statistics.js';

/** The whitening factor of a layer and how much jitter its Cholesky needed. */
export interface Whitening {
  metric: Extract<Metric, { kind: 'whitened' }>;
  /** `eps` used, relative to `trace(Sigma)/P` (0 when Sigma was positive definite). */
  relativeJitter: number;
}

/**
 * `L` with `L L^T = Sigma + eps I` (the uncentred moment, for which `E‖(W - What)
 * x_p‖^2 = ‖(W_mat - What_mat) L‖_F^2` exactly), `eps` escalating from 1e-9 to 1e-3 of
 * `trace(Sigma)/P` until the Cholesky succeeds; as a float64 `P x P` tensor.
 */
export function whitening(engine: Engine, layer: LayerInfo, stats: unknown): Whitening {
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
    factor = linalg.cholesky(stats.sigma(), { jitter: true });
  } catch (e) {
    throw new Error(
      `sigma: the input second moment of '${layer.name}' stays singular even with jitter 1e-3 * trace/P (${(e as Error).message}); calibrate on more or more varied data`,
    );
  }
  return {
    metric: { kind: 'whitened', factor: linalg.fromMatrix(engine, factor.L, 'float64') },
    relativeJitter: factor.relativeJitter,
  };
}
