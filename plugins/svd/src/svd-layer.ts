import { FactorizedChain, type nn, type Tensor } from '@lowrank/core';
import type { SvdFactors } from './factors.js';

/**
 * What `SvdConv2d` and `SvdLinear` share: two children run in turn, `first` (`I -> r`, no
 * bias, weight `v`) and `second` (`r -> O`, the original bias, weight `u`); in ONNX two
 * nodes, so the exported file holds the factors.
 */
export abstract class SvdLayer<
  C extends nn.ModuleConfig,
  L extends nn.Conv2d | nn.Linear,
> extends FactorizedChain<C> {
  /** The layer `I -> r` (looked up by name, so a replaced child is the one used). */
  get first(): L {
    return this.getModule('first') as L;
  }
  /** The layer `r -> O`. */
  get second(): L {
    return this.getModule('second') as L;
  }

  /** Copies the factors (and the bias, when the layer has one) into the two layers. */
  loadFactors(factors: SvdFactors, bias: Tensor | null): this {
    this.first.weight.copyFrom(factors.v);
    this.second.weight.copyFrom(factors.u);
    const b = this.second.bias;
    if (b && bias) b.copyFrom(bias);
    return this;
  }
}
