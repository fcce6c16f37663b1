import { Conv2d } from '../nn/conv2d.js';
import { Linear } from '../nn/linear.js';
import type { Module } from '../nn/module.js';
import { windowOutput } from '../ops/conv.js';

/**
 * What a decomposition needs to know of a layer, independent of its weights: the
 * geometry of a conv or linear layer and where it sits. Linear layers are the
 * K = 1 case: `weightShape = [O, I]`, kernel [1, 1].
 */
export interface LayerInfo {
  /** Dotted path in the model, e.g. 'layer2.c1'. */
  name: string;
  kind: 'linear' | 'conv2d';
  /** [O, I] for linear, [O, I / groups, Kh, Kw] for conv (PyTorch's layout). */
  weightShape: readonly number[];
  inChannels: number;
  outChannels: number;
  kernel: readonly [number, number];
  stride: readonly [number, number];
  /** [top, bottom, left, right] */
  padding: readonly [number, number, number, number];
  dilation: readonly [number, number];
  groups: number;
  bias: boolean;
  /** Spatial size [H, W] of the layer's input at the model's input size (conv only), for FLOP counts. */
  inputSize?: readonly [number, number];
}

/** Parameter and multiply-accumulate counts (per sample, at the layer's input size). */
export interface Cost {
  params: number;
  flops: number;
}

/** The LayerInfo of a Linear or Conv2d module; other modules are refused with the reason. */
export function layerInfo(name: string, module: Module, inputSize?: readonly [number, number]): LayerInfo {
  if (module instanceof Linear) {
    return {
      name,
      kind: 'linear',
      weightShape: [module.outFeatures, module.inFeatures],
      inChannels: module.inFeatures,
      outChannels: module.outFeatures,
      kernel: [1, 1],
      stride: [1, 1],
      padding: [0, 0, 0, 0],
      dilation: [1, 1],
      groups: 1,
      bias: module.bias !== null,
    };
  }
  if (module instanceof Conv2d) {
    return {
      name,
      kind: 'conv2d',
      weightShape: [...module.weight.shape],
      inChannels: module.inChannels,
      outChannels: module.outChannels,
      kernel: module.kernelSize,
      stride: module.stride,
      padding: module.padding,
      dilation: module.dilation,
      groups: module.groups,
      bias: module.bias !== null,
      inputSize,
    };
  }
  throw new TypeError(
    `layerInfo: '${name}' is a ${module.typeName}; only Linear and Conv2d layers can be decomposed`,
  );
}

/** Output spatial size of a conv layer ([1, 1] for linear or when the input size is unknown). */
export function outputSize(layer: LayerInfo): [number, number] {
  if (layer.kind === 'linear' || !layer.inputSize) return [1, 1];
  const [h, w] = layer.inputSize;
  return [
    windowOutput(h, layer.kernel[0], layer.stride[0], layer.padding[0], layer.padding[1], layer.dilation[0]),
    windowOutput(w, layer.kernel[1], layer.stride[1], layer.padding[2], layer.padding[3], layer.dilation[1]),
  ];
}

/** The dense layer's own cost: params O*I/g*K (+O), MACs that times the output positions. */
export function denseCost(layer: LayerInfo): Cost {
  const [o, ig, kh, kw] = [...layer.weightShape, 1, 1];
  const weights = o * ig * kh * kw;
  const [ho, wo] = outputSize(layer);
  return { params: weights + (layer.bias ? o : 0), flops: weights * ho * wo };
}
