import { BottleneckConv2d, type BottleneckConv2dConfig, type Tensor } from '@lowrank/core';
import type { Tucker2Factors } from './factors.js';
import { loadTucker2Factors } from './load-factors.js';

/** Constructor arguments of a `Tucker2Conv2d` (also its saved config); `ranks` are `[R1, R2]`. */
export type Tucker2Conv2dConfig = BottleneckConv2dConfig;

/**
 * A conv layer factorized by Tucker2: `first`, a 1x1 conv `I -> R2` (weight `V^T`);
 * `core`, a `Kh x Kw` conv `R2 -> R1` with the original stride, padding and dilation
 * (weight `G`); `last`, a 1x1 conv `R1 -> O` with the original bias (weight `U`).
 * The 1x1 conv before the padding is exact: it has no bias, so it maps the zero
 * padding to zeros.
 */
export class Tucker2Conv2d extends BottleneckConv2d<Tucker2Conv2dConfig> {
  get typeName(): string {
    return 'Tucker2Conv2d';
  }

  /** Copies the factors (and the bias, when the layer has one) into the three convs. */
  loadFactors(factors: Tucker2Factors, bias: Tensor | null): this {
    return loadTucker2Factors(this, factors, bias);
  }
}
