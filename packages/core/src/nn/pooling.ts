import type { Engine } from '../engine.js';
import type { Padding, Pair } from '../ops/conv.js';
import { adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool2d, maxPool2d } from '../ops/pool.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

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
}

export class AdaptiveMaxPool2d extends AdaptiveAvgPool2d {
  override get typeName(): string {
    return 'AdaptiveMaxPool2d';
  }
  override forward(x: Tensor): Tensor {
    return adaptiveMaxPool2d(x, this.outputSize);
  }
}
