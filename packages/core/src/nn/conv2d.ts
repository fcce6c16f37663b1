import type { Engine } from '../engine.js';
import { conv2d, type Padding, type Pair, padding4, pair } from '../ops/conv.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { defaultUniform } from './init.js';
import { Module } from './module.js';
import type { OnnxEmitter } from './onnx-export.js';

export interface Conv2dLayerOptions {
  stride?: Pair;
  padding?: Padding;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
  /** Parameter dtype (default float32; float64 on the CPU for exact checks). */
  dtype?: 'float32' | 'float64';
}

/** 2-d convolution layer with weight [out, in/groups, Kh, Kw] (PyTorch's layout). */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number, number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(
    engine: Engine,
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    options: Conv2dLayerOptions = {},
  ) {
    super(engine);
    this.kernelSize = pair(kernelSize, 'Conv2d: kernelSize');
    this.stride = pair(options.stride ?? 1, 'Conv2d: stride');
    this.padding = padding4(options.padding ?? 0);
    this.dilation = pair(options.dilation ?? 1, 'Conv2d: dilation');
    this.groups = options.groups ?? 1;
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new RangeError(
        `Conv2d: groups=${this.groups} must divide inChannels=${inChannels} and outChannels=${outChannels}`,
      );
    }
    const fanIn = (inChannels / this.groups) * this.kernelSize[0] * this.kernelSize[1];
    const wShape = [outChannels, inChannels / this.groups, ...this.kernelSize];
    const dtype = options.dtype ?? 'float32';
    this.weight = this.registerParameter('weight', defaultUniform(engine, wShape, fanIn, dtype));
    this.bias =
      options.bias === false
        ? null
        : this.registerParameter('bias', defaultUniform(engine, [outChannels], fanIn, dtype));
  }

  get typeName(): string {
    return 'Conv2d';
  }
  config() {
    return {
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
      bias: this.bias !== null,
      dtype: this.weight.dtype,
    };
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      throw new RangeError(
        `Conv2d(${this.inChannels} -> ${this.outChannels}): expected input [N, ${this.inChannels}, H, W], got ${formatShape(x.shape)}`,
      );
    }
    return conv2d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  override toOnnx(g: OnnxEmitter, input: string): string {
    const inputs = [input, g.initializer('weight', this.weight)];
    if (this.bias) inputs.push(g.initializer('bias', this.bias));
    const [top, bottom, left, right] = this.padding;
    return g.node('Conv', inputs, {
      kernel_shape: { ints: this.kernelSize },
      strides: { ints: this.stride },
      // ONNX orders pads as all the starts, then all the ends.
      pads: { ints: [top, left, bottom, right] },
      dilations: { ints: this.dilation },
      group: { int: this.groups },
    });
  }
}
