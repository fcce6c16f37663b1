/**
 * @lowrank/rank-lwiq: the LWIQ rank selector for lowrank. A proxy classifier imprinted on
 * each layer's globally pooled output scores the layer by its accuracy on held-out
 * calibration samples; ranks proportional to the scores are scaled by one factor kappa,
 * solved by bisection so the selection meets a budget.
 */
export { kappaBreakpoints, ranksAt, type ScoredLayer } from './allocation.js';
export { lwiqCollector } from './collector.js';
export { cosinePrediction, imprintedWeights, unitVector } from './imprinting.js';
export { type LayerScore, type LwiqScoreKind, layerScores } from './layer-scores.js';
export { LwiqStatistics, type LwiqStatisticsJson } from './lwiq-statistics.js';
export { type LwiqOptions, type LwiqRankSelector, type LwiqSelection, lwiq } from './plugin.js';
export { pooledFeatures } from './pooled-features.js';
