import type { nn } from '@lowrank/core';
import { TrConv2d, type TrConv2dConfig } from './tr-conv2d.js';
import { TrLinear, type TrLinearConfig } from './tr-linear.js';

/** Builders for `nn.loadModule` / `nn.buildModule`, so saved models with TR layers can be rebuilt. */
export const moduleBuilders: Readonly<Record<string, nn.ModuleBuilder>> = {
  TrLinear: (engine, config) => new TrLinear(engine, config as TrLinearConfig),
  TrConv2d: (engine, config) => new TrConv2d(engine, config as TrConv2dConfig),
};
