/**
 * @lowrank/tucker2: the Tucker2 decomposition plugin for lowrank (Kim et al. 2016).
 * Register it with `engine.use(tucker2())`; it factorizes conv layers into a 1x1, a
 * Kh x Kw and a 1x1 convolution by HOSVD and HOOI over the two channel modes, or, with
 * the `'whitened'` metric of the Sigma norm, by Tucker2-ALS-Sigma.
 */
export type { Tucker2Factors } from './factors.js';
export { moduleBuilders } from './module-builders.js';
export { type Tucker2DecomposeOptions, type Tucker2Plugin, type Tucker2Settings, tucker2 } from './plugin.js';
export { Tucker2Conv2d, type Tucker2Conv2dConfig } from './tucker2-conv2d.js';
export { Tucker2Linear, type Tucker2LinearConfig } from './tucker2-linear.js';
export { DENSE_V_SOLVE_MAX, type VSolve } from './v-solve.js';
