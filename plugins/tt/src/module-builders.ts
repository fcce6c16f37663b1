import type { nn } from '@lowrank/core';
import { TtChannelConv2d, type TtChannelConv2dConfig } from './tt-channel-conv2d.js';
import { TtConv2d, type TtConv2dConfig } from './tt-conv2d.js';
import { TtLinear, type TtLinearConfig } from './tt-linear.js';

/** Builders for `nn.loadModule` / `nn.buildModule`, so saved models with TT layers can be rebuilt. */
export const moduleBuilders: Readonly<Record<string, nn.ModuleBuilder>> = {
  TtLinear: (engine, config) => new TtLinear(engine, config as TtLinearConfig),
  TtConv2d: (engine, config) => new TtConv2d(engine, config as TtConv2dConfig),
  TtChannelConv2d: (engine, config) => new TtChannelConv2d(engine, config as TtChannelConv2dConfig),
};
