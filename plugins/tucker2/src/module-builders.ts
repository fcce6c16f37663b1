import type { nn } from '@lowrank/core';
import { Tucker2Conv2d, type Tucker2Conv2dConfig } from './tucker2-conv2d.js';
import { Tucker2Linear, type Tucker2LinearConfig } from './tucker2-linear.js';

/** Builders for `nn.loadModule` / `nn.buildModule`, so saved models with Tucker2 layers can be rebuilt. */
export const moduleBuilders: Readonly<Record<string, nn.ModuleBuilder>> = {
  Tucker2Conv2d: (engine, config) => new Tucker2Conv2d(engine, config as Tucker2Conv2dConfig),
  Tucker2Linear: (engine, config) => new Tucker2Linear(engine, config as Tucker2LinearConfig),
};
