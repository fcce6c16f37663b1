import { type Engine, nn, type Tensor } from '@lowrank/core';
import type { Tucker2Factors } from './factors.js';

/** Constructor arguments of a `Tucker2Conv2d` (also its saved config). */
export type Tucker2Conv2dConfig = {
  inChannels: number;
  outChannels: number;
  /** `[R1, R2]`: the core's output and input channels. */
  ranks: [number, number];
  kernelSize: [number, number];
  stride: [number, number];
  /** [top, bottom, left, right] */
  padding: [number, number, number, number];
  dilation: [number, number];
  bias: boolean;
  dtype: 'float32' | 'float64';
};

/**
 * A conv layer factorized by Tucker2: `first`, a 1x1 conv `I -> R2` (weight `V^T`);
 * `core`, a `Kh x Kw` conv `R2 -> R1` with the original stride, padding and dilation
 * (weight `G`); `last`, a 1x1 conv `R1 -> O` with the original bias (weight `U`).
 * The 1x1 conv before the padding is exact: it has no bias, so it maps the zero
 * padding to zeros.
 */
export class Tucker2Conv2d extends nn.Module {
  readonly settings: Readonly<Tucker2Conv2dConfig>;

  constructor(engine: Engine, config: Tucker2Conv2dConfig) {
    super(engine);
    this.settings = { ...config };
    const { inChannels, outChannels, ranks, kernelSize, stride, padding, dilation, bias, dtype } = config;
    const [r1, r2] = ranks;
    this.registerModule('first', new nn.Conv2d(engine, inChannels, r2, 1, { bias: false, dtype }));
    this.registerModule(
      'core',
      new nn.Conv2d(engine, r2, r1, kernelSize, { stride, padding, dilation, bias: false, dtype }),
    );
    this.registerModule('last', new nn.Conv2d(engine, r1, outChannels, 1, { bias, dtype }));
  }

  /** The 1x1 conv `I -> R2` (children are looked up by name, so a replaced child is the one used). */
  get first(): nn.Conv2d {
    return this.getModule('first') as nn.Conv2d;
  }
  /** The `Kh x Kw` conv `R2 -> R1`. */
  get core(): nn.Conv2d {
    return this.getModule('core') as nn.Conv2d;
  }
  /** The 1x1 conv `R1 -> O`. */
  get last(): nn.Conv2d {
    return this.getModule('last') as nn.Conv2d;
  }

  get typeName(): string {
    return 'Tucker2Conv2d';
  }
  config(): Tucker2Conv2dConfig {
    return { ...this.settings };
  }

  /** Copies the factors (and the bias, when the layer has one) into the three convs. */
  loadFactors(factors: Tucker2Factors, bias: Tensor | null): this {
    this.engine.tidy(() => {
      this.first.weight.copyFrom(factors.v.transpose());
      this.core.weight.copyFrom(factors.core);
      this.last.weight.copyFrom(factors.u);
    });
    const b = this.last.bias;
    if (b && bias) b.copyFrom(bias);
    return this;
  }

  forward(x: Tensor): Tensor {
    return this.engine.tidy(() => this.last.call(this.core.call(this.first.call(x))));
  }

  /** The three convs as three ONNX Conv nodes, so the exported file holds the factors. */
  override toOnnx(g: nn.OnnxEmitter, input: string): string {
    return g.child('last', g.child('core', g.child('first', input)));
  }
}
