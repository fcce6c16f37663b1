export { minimizeBounded } from './brent.js';
export { type EvbmfResult, evbmf, evbmfRank } from './evbmf.js';
export { rankVbmf, type VbmfRankSelector, type VbmfSelection, type VbmfSettings } from './plugin.js';
export { type RatioEnds, ratioSteps } from './ratio-steps.js';
