import { type Engine, nn, type Tensor } from '@lowrank/core';
import type { SvdFactors } from './factors.js';

/** Constructor arguments of an `SvdConv2d` (also its saved config). */
export type SvdConv2dConfig = {
  inChannels: number;
  outChannels: number;
  rank: number;
  kernelSize: [number, number];
  stride: [number, number];
  /** [top, bottom, left, right] */
  padding: [number, number, number, number];
  dilation: [number, number];
  bias: boolean;
  dtype: 'float32' | 'float64';
};

/**
 * A conv layer factorized by SVD: `first`, a conv `I -> r` with the original kernel,
 * stride, padding and dilation and no bias (weight `v` reshaped to `r x I x Kh x Kw`),
 * then `second`, a 1x1 conv `r -> O` with the original bias (weight `u`).
 */
export class SvdConv2d extends nn.Module {
  readonly settings: Readonly<SvdConv2dConfig>;

  constructor(engine: Engine, config: SvdConv2dConfig) {
    super(engine);
    this.settings = { ...config };
    const { inChannels, outChannels, rank, kernelSize, stride, padding, dilation, bias, dtype } = config;
    this.registerModule(
      'first',
      new nn.Conv2d(engine, inChannels, rank, kernelSize, { stride, padding, dilation, bias: false, dtype }),
    );
    this.registerModule('second', new nn.Conv2d(engine, rank, outChannels, 1, { bias, dtype }));
  }

  /** The conv `I -> r` (looked up by name, so a replaced child is the one used). */
  get first(): nn.Conv2d {
    return this.getModule('first') as nn.Conv2d;
  }
  /** The 1x1 conv `r -> O`. */
  get second(): nn.Conv2d {
    return this.getModule('second') as nn.Conv2d;
  }

  get typeName(): string {
    return 'SvdConv2d';
  }
  config(): SvdConv2dConfig {
    return { ...this.settings };
  }

  /** Copies the factors (and the bias, when the layer has one) into the two convs. */
  loadFactors(factors: SvdFactors, bias: Tensor | null): this {
    this.first.weight.copyFrom(factors.v);
    this.second.weight.copyFrom(factors.u);
    const b = this.second.bias;
    if (b && bias) b.copyFrom(bias);
    return this;
  }

  forward(x: Tensor): Tensor {
    return this.engine.tidy(() => this.second.call(this.first.call(x)));
  }

  /** The two convs as two ONNX Conv nodes, so the exported file holds the factors. */
  override toOnnx(g: nn.OnnxEmitter, input: string): string {
    return g.child('second', g.child('first', input));
  }
}
