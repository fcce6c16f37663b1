import { type ConvGeometry, type Engine, nn } from '@lowrank/core';
import { SvdLayer } from './svd-layer.js';

/** Constructor arguments of an `SvdConv2d` (also its saved config). */
export type SvdConv2dConfig = { inChannels: number; outChannels: number; rank: number } & ConvGeometry & {
    bias: boolean;
    dtype: 'float32' | 'float64';
  };

/**
 * A conv layer factorized by SVD: `first`, a conv `I -> r` with the original kernel,
 * stride, padding and dilation and no bias (weight `v` reshaped to `r x I x Kh x Kw`),
 * then `second`, a 1x1 conv `r -> O` with the original bias (weight `u`).
 */
export class SvdConv2d extends SvdLayer<SvdConv2dConfig, nn.Conv2d> {
  constructor(engine: Engine, config: SvdConv2dConfig) {
    super(engine, config);
    const { inChannels, outChannels, rank, kernelSize, stride, padding, dilation, bias, dtype } = config;
    this.registerModule(
      'first',
      new nn.Conv2d(engine, inChannels, rank, kernelSize, { stride, padding, dilation, bias: false, dtype }),
    );
    this.registerModule('second', new nn.Conv2d(engine, rank, outChannels, 1, { bias, dtype }));
  }

  get typeName(): string {
    return 'SvdConv2d';
  }
}
