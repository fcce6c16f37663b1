export { type ScaledLayer, scaledScalars, scaleToBudget } from './budget-scale.js';
export { firstCandidates, intervalSchedule, narrowedCandidates, ranksAt, scalarBound } from './candidates.js';
export { factorTensors } from './factor-tensors.js';
export { type Candidate, MixtureLayer } from './mixture-layer.js';
export { type ReneOptions, type ReneRankSelector, rene } from './plugin.js';
export { type RankLossTerm, rankLoss } from './rank-loss.js';
export { type ReneLayerSearch, type ReneSelection, type ReneStage, reneSearch } from './search.js';
export type { ReneProgress, ReneSearchOptions, ReneSettings, ValidationBatch } from './settings.js';
