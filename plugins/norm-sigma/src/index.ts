/**
 * @lowrank/norm-sigma: the Sigma norm plugin for lowrank. It collects each layer's input
 * second moment `Sigma = E[x_p x_p^T]` over calibration data (streaming, float64) and
 * gives the whitened metric `L` (`L L^T = Sigma`) under which a decomposition minimises
 * the layer's expected output error; `@lowrank/svd` turns it into SVD-Sigma.
 */
export { calibrationWarnings } from './calibration-warnings.js';
export { sigmaCollector } from './collector.js';
export { patchLength } from './patches.js';
export { sigma } from './plugin.js';
export { SigmaStatistics, type SigmaStatisticsJson } from './sigma-statistics.js';
export { type Whitening, type WhiteningOptions, whitening } from './whitening.js';
