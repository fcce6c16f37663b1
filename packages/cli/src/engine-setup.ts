import { createEngine, type Engine, type NormPlugin } from '@lowrank/core';
import { cp } from '@lowrank/cp';
import { activation } from '@lowrank/norm-activation';
import { fisher } from '@lowrank/norm-fisher';
import { frobenius } from '@lowrank/norm-frobenius';
import { sigma } from '@lowrank/norm-sigma';
import { rankBudget } from '@lowrank/rank-budget';
import { rankEnergy } from '@lowrank/rank-energy';
import { error } from '@lowrank/rank-error';
import { rankVbmf } from '@lowrank/rank-vbmf';
import { svd } from '@lowrank/svd';
import { tr } from '@lowrank/tr';
import { tt } from '@lowrank/tt';
import { tucker2 } from '@lowrank/tucker2';

export const DECOMPOSITIONS = ['tucker2', 'cp', 'svd', 'tt', 'tr'] as const;
export type DecompositionName = (typeof DECOMPOSITIONS)[number];

export const NORMS = ['frobenius', 'sigma', 'fisher', 'activation'] as const;
export type NormName = (typeof NORMS)[number];

const NORM_PLUGINS: Readonly<Record<NormName, () => NormPlugin>> = {
  frobenius: () => frobenius(),
  sigma: () => sigma(),
  fisher: () => fisher(),
  activation: () => activation(),
};

/** The plugin of a `--norm` (a new one: some norms hold state between calibration and metric). */
export function normPlugin(name: NormName): NormPlugin {
  return NORM_PLUGINS[name]();
}

export const SELECTORS = ['budget', 'energy', 'vbmf', 'error'] as const;
export type SelectorName = (typeof SELECTORS)[number];

/** The registered name of each `--ranks` selector. */
export const SELECTOR_PLUGIN_NAMES: Readonly<Record<SelectorName, string>> = {
  budget: 'rank-budget',
  energy: 'rank-energy',
  vbmf: 'rank-vbmf',
  error: 'error',
};

export interface EngineChoices {
  seed: number;
  decompositions: readonly DecompositionName[];
  norm?: NormName;
  selector?: SelectorName;
  /** Register the Sigma norm so that the report gives each layer's Sigma error (needs calibration). */
  sigmaErrors?: boolean;
}

/** A CPU engine with the plugins the command line chose. */
export function createCliEngine(choices: EngineChoices): Engine {
  const engine = createEngine({ backend: 'cpu', seed: choices.seed });
  const decompositionPlugins = { tucker2, cp, svd, tt, tr };
  for (const name of new Set(choices.decompositions)) engine.use(decompositionPlugins[name]());
  if (choices.norm) engine.use(normPlugin(choices.norm));
  if (choices.sigmaErrors && choices.norm !== 'sigma') engine.use(sigma());
  const selectors = { budget: rankBudget, energy: rankEnergy, vbmf: rankVbmf, error };
  if (choices.selector) engine.use(selectors[choices.selector]());
  return engine;
}
