import { Conv2d } from '../nn/conv2d.js';
import { Linear } from '../nn/linear.js';
import type { Module } from '../nn/module.js';
import type { Cost, LayerInfo } from './layer-info.js';

/**
 * Params and MACs of a module tree standing in for `layer`, counted from its Linear/Conv2d
 * leaves on a real forward pass of one sample (MACs per call: a Linear's inputs times its
 * outputs, a conv's fan-in times its outputs). It measures the layer actually built, so it
 * holds when a decomposition clipped the ranks it was asked for. A conv layer without an
 * `inputSize` runs on a 7 x 8 input.
 */
export function measuredCost(module: Module, layer: LayerInfo): Cost {
  const engine = module.engine;
  const dtype = module.parameters()[0]?.dtype === 'float64' ? 'float64' : 'float32';
  let flops = 0;
  const removers = module.namedModules().map(([, m]) =>
    m.addForwardHook((mod, _inputs, output) => {
      // The forward runs on one sample, so every element of a child's output counts, even when the
      // child sees extra axes folded into its batch axis (a ring rank carried beside the sample).
      if (mod instanceof Linear) flops += mod.inFeatures * output.size;
      if (mod instanceof Conv2d)
        flops += (mod.inChannels / mod.groups) * mod.kernelSize[0] * mod.kernelSize[1] * output.size;
    }),
  );
  try {
    engine.noGrad(() =>
      engine.tidy(() => {
        const x =
          layer.kind === 'linear'
            ? engine.randn([1, layer.inChannels], { dtype })
            : engine.randn([1, layer.inChannels, ...(layer.inputSize ?? [7, 8])], { dtype });
        module.call(x);
      }),
    );
  } finally {
    for (const r of removers) r();
  }
  return { params: module.numParameters(), flops };
}
