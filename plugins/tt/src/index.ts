/**
 * @lowrank/tt: the tensor-train decomposition plugin for lowrank. Register it with
 * `engine.use(tt())`. Besides the plugin it exports the float64 building blocks (TT-SVD with
 * rank caps or an accuracy guarantee, TT rounding, left-orthogonalisation, reconstruction and
 * the TT-matrix tensorization) for ADMM, rank selectors and the tensor-ring plugin.
 */
export { balancedFactors } from './balanced-factors.js';
export { disposeTt, reconstructTt, type TtFactors, ttFactorRanks } from './factors.js';
export type { ChannelModes, TtLayout, TtLayoutKind, TtSettings } from './layout.js';
export { type LayoutFactors, layoutFactors, layoutTensor, type ModesLayout } from './layout-factors.js';
export { type LayoutPluginParts, layoutPluginParts } from './layout-plugin-parts.js';
export { moduleBuilders } from './module-builders.js';
export { permuteAxes } from './permute.js';
export { type TtDecomposeOptions, type TtPlugin, tt } from './plugin.js';
export { convToOKI, matrixFromTensorized, okiToConv, tensorizeMatrix } from './tensorize.js';
export { rankForTail, type SvdRoute, type Truncation, truncateSvd } from './truncate.js';
export { TtChannelConv2d, type TtChannelConv2dConfig } from './tt-channel-conv2d.js';
export { TtConv2d, type TtConv2dConfig } from './tt-conv2d.js';
export { type TtConv2dPlan, ttConv2dPlan } from './tt-conv2d-plan.js';
export { TtLinear, type TtLinearConfig } from './tt-linear.js';
export { TRANSPOSED_ELEMENT_MACS, type TtLinearPlan, ttLinearPlan } from './tt-linear-plan.js';
export { checkTtCores, ttRanks, ttReconstruct } from './tt-reconstruct.js';
export { leftOrthogonalize, ttRound } from './tt-round.js';
export { type TtCores, type TtSvdOptions, ttRankBounds, ttSvd } from './tt-svd.js';
