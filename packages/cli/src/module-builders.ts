import type { nn } from '@lowrank/core';
import { moduleBuilders as cpBuilders } from '@lowrank/cp';
import { modelBuilders } from '@lowrank/models';
import { moduleBuilders as onnxBuilders } from '@lowrank/onnx';
import { moduleBuilders as svdBuilders } from '@lowrank/svd';
import { moduleBuilders as trBuilders } from '@lowrank/tr';
import { moduleBuilders as ttBuilders } from '@lowrank/tt';
import { moduleBuilders as tucker2Builders } from '@lowrank/tucker2';

/**
 * Every module type a lowrank-saved model may contain: the reference models, imported
 * ONNX graphs and the factorized layers of each decomposition (core's own layers are
 * always known).
 */
export const allModuleBuilders: Readonly<Record<string, nn.ModuleBuilder>> = {
  ...modelBuilders,
  ...onnxBuilders,
  ...svdBuilders,
  ...tucker2Builders,
  ...cpBuilders,
  ...ttBuilders,
  ...trBuilders,
};
