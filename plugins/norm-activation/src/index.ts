/**
 * @lowrank/norm-activation: the activation-guided norm plugin for lowrank (AG-LRA). It
 * collects each layer's mean absolute output per channel on calibration data and gives
 * the weighted metric that scales each output row's error by its channel's activation;
 * core's `decomposeWithMetric` minimises it with any decomposition.
 */
export { ActivationStatistics, type ActivationStatisticsJson } from './activation-statistics.js';
export { activationCollector } from './collector.js';
export { type ActivationMetricOptions, activationMetric } from './metric.js';
export { activation } from './plugin.js';
