export { fingerprint } from './fingerprint.js';
export { type DecomposeUnder, type ErrorAt, type ErrorCache, layerErrors } from './layer-errors.js';
export { measuredError } from './measured-error.js';
export { type ErrorRankSelector, type ErrorSelection, type ErrorSettings, error } from './plugin.js';
export { rankPath } from './rank-path.js';
export { type PathStop, smallestStep } from './smallest-step.js';
export { svdErrors } from './svd-errors.js';
