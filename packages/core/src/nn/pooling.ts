import type { Engine } from '../engine.js';
import { type Padding, type Pair, padding4, pair } from '../ops/conv.js';
import { adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool2d, maxPool2d } from '../ops/pool.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';
import type { OnnxAttributeValue, OnnxEmitter } from './onnx-export.js';

export interface PoolLayerOptions {
  stride?: Pair;
  padding?: Padding;
}

export class MaxPool2d extends Module {
  constructor(
    engine: Engine,
    readonly kernelSize: Pair,
    readonly options: PoolLayerOptions & { dilation?: Pair } = {},
  ) {
    super(engine);
  }
  get typeName(): string {
    return 'MaxPool2d';
  }
  config() {
    return { kernelSize: this.kernelSize, ...this.options };
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.options);
  }
  override toOnnx(g: OnnxEmitter, input: string): string {
    return g.node('MaxPool', [input], {
      ...windowAttributes(this.kernelSize, this.options),
      dilations: { ints: pair(this.options.dilation ?? 1, 'MaxPool2d: dilation') },
    });
  }
}

export class AvgPool2d extends Module {
  constructor(
    engine: Engine,
    readonly kernelSize: Pair,
    readonly options: PoolLayerOptions & { countIncludePad?: boolean } = {},
  ) {
    super(engine);
  }
  get typeName(): string {
    return 'AvgPool2d';
  }
  config() {
    return { kernelSize: this.kernelSize, ...this.options };
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }
  override toOnnx(g: OnnxEmitter, input: string): string {
    return g.node('AveragePool', [input], {
      ...windowAttributes(this.kernelSize, this.options),
      // Core's default counts the padding, ONNX's does not: always say which.
      count_include_pad: { int: (this.options.countIncludePad ?? true) ? 1 : 0 },
    });
  }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(
    engine: Engine,
    readonly outputSize: Pair,
  ) {
    super(engine);
  }
  get typeName(): string {
    return 'AdaptiveAvgPool2d';
  }
  config() {
    return { outputSize: this.outputSize };
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
  override toOnnx(g: OnnxEmitter, input: string): string {
    return adaptiveToOnnx(this, g, input, 'GlobalAveragePool', 'AveragePool');
  }
}

export class AdaptiveMaxPool2d extends AdaptiveAvgPool2d {
  override get typeName(): string {
    return 'AdaptiveMaxPool2d';
  }
  override forward(x: Tensor): Tensor {
    return adaptiveMaxPool2d(x, this.outputSize);
  }
  override toOnnx(g: OnnxEmitter, input: string): string {
    return adaptiveToOnnx(this, g, input, 'GlobalMaxPool', 'MaxPool');
  }
}

function windowAttributes(kernelSize: Pair, options: PoolLayerOptions): Record<string, OnnxAttributeValue> {
  const kernel = pair(kernelSize, 'pooling: kernelSize');
  const [top, bottom, left, right] = padding4(options.padding ?? 0);
  return {
    kernel_shape: { ints: kernel },
    strides: { ints: pair(options.stride ?? kernel, 'pooling: stride') },
    pads: { ints: [top, left, bottom, right] },
  };
}

/**
 * Output 1x1 is a global pool; an output size that divides the traced input size is a plain
 * pool with equal windows. Other sizes have uneven windows, which no ONNX operator has.
 */
function adaptiveToOnnx(
  m: AdaptiveAvgPool2d,
  g: OnnxEmitter,
  input: string,
  globalOp: string,
  windowOp: string,
): string {
  const [oh, ow] = pair(m.outputSize, `${m.typeName}: outputSize`);
  if (oh === 1 && ow === 1) return g.node(globalOp, [input]);
  const shape = g.inputShape;
  if (shape && shape.length === 4 && shape[2] % oh === 0 && shape[3] % ow === 0) {
    const kernel = [shape[2] / oh, shape[3] / ow];
    return g.node(windowOp, [input], { kernel_shape: { ints: kernel }, strides: { ints: kernel } });
  }
  throw new Error(
    `${m.typeName} '${g.path}': output size ${oh}x${ow} has no ONNX equivalent for input ${shape ? `[${shape}]` : 'of unknown size'}; only 1x1 or a size that divides the input's exports`,
  );
}
