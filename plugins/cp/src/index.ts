/**
 * @lowrank/cp: the CP decomposition of conv and linear layers (Lebedev et al. 2015).
 * Register with `engine.use(cp())`.
 */
export { type CpAlsOptions, type CpFit, cpAls } from './als.js';
export { type CpAlsSigmaOptions, cpAlsSigma } from './als-sigma.js';
export { cpCost, maxRank } from './cost.js';
export { type CpModel, cpNormSquared, cpToNdArray, normalizeInPlace } from './cp-model.js';
export { type CpDeflationOptions, cpDeflation } from './deflation.js';
export { type CpFactors, reconstructWeight } from './factors.js';
export { type CpInit, initialModel } from './init.js';
export { CpConv2d, CpLinear, cpLayer, moduleBuilders } from './layers.js';
export type { CpMethod, CpOptions } from './options.js';
export { cp } from './plugin.js';
export { DENSE_SOLVE_MAX_UNKNOWNS, type SigmaSolver } from './sigma-mode-system.js';
