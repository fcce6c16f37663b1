import type { nn } from '@lowrank/core';
import { LeNet5 } from './lenet5.js';
import { BasicBlock, ResNet8 } from './resnet8.js';

export { LeNet5 } from './lenet5.js';
export { BasicBlock, ResNet8 } from './resnet8.js';

/** Builders for `nn.buildModule` / `loadModule`, so saved models of these types can be rebuilt. */
export const modelBuilders: Readonly<Record<string, nn.ModuleBuilder>> = {
  LeNet5: (engine, config) => new LeNet5(engine, (config.classes as number) ?? 10),
  ResNet8: (engine, config) => new ResNet8(engine, (config.classes as number) ?? 10),
  BasicBlock: (engine, config) =>
    new BasicBlock(
      engine,
      config.inChannels as number,
      config.outChannels as number,
      config.stride as number,
    ),
};
