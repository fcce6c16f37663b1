/**
 * @lowrank/svd: the truncated-SVD decomposition plugin for lowrank. Register it with
 * `engine.use(svd())`; it factorizes linear layers and ungrouped conv layers into two
 * layers through the Eckart-Young optimal rank-r approximation of the weight matrix.
 */
export type { SvdFactors } from './factors.js';
export { moduleBuilders } from './module-builders.js';
export { type SvdDecomposeOptions, type SvdPlugin, type SvdSettings, svd } from './plugin.js';
export { SvdConv2d, type SvdConv2dConfig } from './svd-conv2d.js';
export { SvdLinear, type SvdLinearConfig } from './svd-linear.js';
export { svdSigma } from './svd-sigma.js';
