export { minimizeBounded } from './brent.js';
export { type EvbmfResult, evbmf, evbmfRank } from './evbmf.js';
export { rankVbmf, type VbmfSettings } from './plugin.js';
