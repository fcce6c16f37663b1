import { type Engine, nn, type Tensor } from '@lowrank/core';
import type { SvdFactors } from './factors.js';

/** Constructor arguments of an `SvdLinear` (also its saved config). */
export type SvdLinearConfig = {
  inFeatures: number;
  outFeatures: number;
  rank: number;
  bias: boolean;
  dtype: 'float32' | 'float64';
};

/**
 * A linear layer factorized by SVD: `first`, a linear `I -> r` without bias (weight
 * `v`), then `second`, a linear `r -> O` with the original bias (weight `u`).
 */
export class SvdLinear extends nn.Module {
  readonly settings: Readonly<SvdLinearConfig>;

  constructor(engine: Engine, config: SvdLinearConfig) {
    super(engine);
    this.settings = { ...config };
    const { inFeatures, outFeatures, rank, bias, dtype } = config;
    this.registerModule('first', new nn.Linear(engine, inFeatures, rank, { bias: false, dtype }));
    this.registerModule('second', new nn.Linear(engine, rank, outFeatures, { bias, dtype }));
  }

  /** The linear `I -> r` (looked up by name, so a replaced child is the one used). */
  get first(): nn.Linear {
    return this.getModule('first') as nn.Linear;
  }
  /** The linear `r -> O`. */
  get second(): nn.Linear {
    return this.getModule('second') as nn.Linear;
  }

  get typeName(): string {
    return 'SvdLinear';
  }
  config(): SvdLinearConfig {
    return { ...this.settings };
  }

  /** Copies the factors (and the bias, when the layer has one) into the two linears. */
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

  /** The two linears as two ONNX nodes, so the exported file holds the factors. */
  override toOnnx(g: nn.OnnxEmitter, input: string): string {
    return g.child('second', g.child('first', input));
  }
}
