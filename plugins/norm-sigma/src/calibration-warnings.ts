import type { LayerInfo } from '@lowrank/core';
import { patchLength, positionsPerSample } from './patches.js';
import { SigmaStatistics } from './sigma-statistics.js';

/**
 * Why a layer's Sigma may mislead: fewer calibration vectors than its `P` dimensions make
 * the moment (or covariance) singular, so the whitened error ignores every direction no
 * sample spans and a decomposition fits the calibration samples rather than the weight.
 * The jitter `whitening` adds keeps the Cholesky working, not the estimate sound.
 */
export function calibrationWarnings(layer: LayerInfo, stats: unknown, centred: boolean): string[] {
  if (!(stats instanceof SigmaStatistics)) return [];
  const p = patchLength(layer);
  const rank = Math.max(0, stats.count - (centred ? 1 : 0));
  if (rank >= p) return [];
  const unit = layer.kind === 'linear' ? 'input rows' : 'input patches';
  const perImage = layer.inputSize ? positionsPerSample(layer, ...layer.inputSize) : 0;
  const images = perImage > 0 ? ` (${Math.ceil((p + (centred ? 1 : 0)) / perImage)} samples)` : '';
  return [
    `sigma: '${layer.name}' was calibrated on ${stats.count} ${unit} for ${p} input dimensions, so its ${centred ? 'covariance' : 'second moment'} has rank at most ${rank} and the decomposition fits those samples rather than the weight; calibrate on at least ${p + (centred ? 1 : 0)} ${unit}${images}, or use the Frobenius norm`,
  ];
}
