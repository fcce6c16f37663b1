/**
 * @lowrank/norm-fisher: the Fisher norm plugin for lowrank. It collects each layer's
 * diagonal empirical Fisher `F = E[(dloss/dW)^2]` from per-sample (or micro-batch)
 * gradients on calibration data, streaming in float64, and gives the weighted metric
 * `sum F (W - What)^2` (FW-LRA) that core's `decomposeWithMetric` minimises with any
 * decomposition; `rowWeightedSvd` is the row-wise closed form (FWSVD).
 */
export { crossEntropyLoss, type FisherLoss, type FisherOptions, fisherCollector } from './collector.js';
export { FisherStatistics, type FisherStatisticsJson } from './fisher-statistics.js';
export { type FisherMetricOptions, fisherMetric } from './metric.js';
export { fisher } from './plugin.js';
export { type RowWeightedSvd, rowFisher, rowWeightedSvd } from './row-weighted-svd.js';
export { weightGradient } from './weight-gradient.js';
