/**
 * @lowrank/admm: ADMM-regularised training (admm paper, Alg. 2) for lowrank. `admmTrain`
 * trains a dense model towards the rank set of any decomposition plugin with `project`,
 * `factorizeLayers` then swaps in the factorized layers; `admm()` is the same as a
 * 'trainer' plugin. Checkpoints to files come from '@lowrank/admm/node'.
 */
export { admmTrain, DEFAULT_RHO } from './admm-train.js';
export {
  type CheckpointInfo,
  type CheckpointStore,
  decodeCheckpoint,
  encodeCheckpoint,
  memoryCheckpoint,
} from './checkpoint.js';
export { type FactorizedLayer, factorizeLayers } from './factorize.js';
export type {
  AdmmBatch,
  AdmmLayer,
  AdmmResult,
  AdmmRoundReport,
  AdmmStepReport,
  AdmmTrainOptions,
} from './options.js';
export { type AdmmPlugin, admm } from './plugin.js';
