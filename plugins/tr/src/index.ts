/**
 * @lowrank/tr: the tensor-ring decomposition plugin for lowrank. Register it with
 * `engine.use(tr())`. Besides the plugin it exports the float64 algorithms (TR-SVD, TR-ALS,
 * reconstruction) for ADMM and rank selectors.
 */
export { disposeTr, reconstructTr, type TrFactors, trFactorRanks } from './factors.js';
export type { TrLayout, TrLayoutKind, TrSettings } from './layout.js';
export { moduleBuilders } from './module-builders.js';
export { type TrDecomposeOptions, type TrPlugin, tr } from './plugin.js';
export { type TrAlsOptions, trAls } from './tr-als.js';
export { type TrConvOrder, trConvMacs, trConvOrder } from './tr-conv-order.js';
export { TrConv2d, type TrConv2dConfig } from './tr-conv2d.js';
export { TrLinear, type TrLinearConfig } from './tr-linear.js';
export {
  cheapestOrder,
  legacyOrder,
  type TrLinearPlan,
  type TrLinearStep,
  trLinearPlan,
} from './tr-linear-plan.js';
export { checkTrCores, type TrCores, trRanks, trReconstruct } from './tr-reconstruct.js';
export { type TrSvdOptions, trSvd } from './tr-svd.js';
