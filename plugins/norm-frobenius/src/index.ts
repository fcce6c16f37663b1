/**
 * @lowrank/norm-frobenius: the Frobenius norm plugin for lowrank, the plain weight error
 * `‖W - What‖_F`. It needs no calibration data, so its collector gathers nothing; it exists
 * so that a pipeline can name the norm like any other (`norm: 'frobenius'`).
 */
export { frobenius } from './plugin.js';
