import type { TrainerPluginBase } from '@lowrank/core';
import { admmTrain } from './admm-train.js';
import { factorizeLayers } from './factorize.js';

/** The ADMM trainer as a plugin: `engine.use(admm())`, then `engine.plugins.get('trainer', 'admm')`. */
export interface AdmmPlugin extends TrainerPluginBase {
  readonly name: 'admm';
  readonly train: typeof admmTrain;
  readonly factorize: typeof factorizeLayers;
}

/** The ADMM-regularised training plugin (kind `'trainer'`). */
export function admm(): AdmmPlugin {
  return { kind: 'trainer', name: 'admm', train: admmTrain, factorize: factorizeLayers };
}
