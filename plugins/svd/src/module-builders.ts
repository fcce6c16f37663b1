import type { nn } from '@lowrank/core';
import { SvdConv2d, type SvdConv2dConfig } from './svd-conv2d.js';
import { SvdLinear, type SvdLinearConfig } from './svd-linear.js';

/** Builders for `nn.loadModule` / `nn.buildModule`, so saved models with SVD layers can be rebuilt. */
export const moduleBuilders: Readonly<Record<string, nn.ModuleBuilder>> = {
  SvdConv2d: (engine, config) => new SvdConv2d(engine, config as SvdConv2dConfig),
  SvdLinear: (engine, config) => new SvdLinear(engine, config as SvdLinearConfig),
};
