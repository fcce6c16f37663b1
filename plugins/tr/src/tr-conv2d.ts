import { type Engine, nn, reshape, type Tensor, transpose } from '@lowrank/core';

/** Constructor arguments of a `TrConv2d` (also its saved config). */
export type TrConv2dConfig = {
  inChannels: number;
  outChannels: number;
  /** `[R0, R1, R2]`: the ring ranks input-output, output-kernel and kernel-input. */
  ranks: [number, number, number];
  kernelSize: [number, number];
  stride: [number, number];
  /** [top, bottom, left, right] */
  padding: [number, number, number, number];
  dilation: [number, number];
  bias: boolean;
  dtype: 'float32' | 'float64';
};

/**
 * A conv layer whose kernel is the ring `O x K x I` (`K = Kh Kw`), cores `A [R0, O, R1]`,
 * `B [R1, K, R2]`, `C [R2, I, R0]`, so `W[o, i, k] = trace(A[:, o, :] B[:, k, :] C[:, i, :])`.
 * It runs in the PSTRN way: `first`, a 1x1 conv `I -> R0 R2` (`C`: the input core as a channel
 * map of rank `R0 R2`); `core`, a `Kh x Kw` conv `R2 -> R1` (`B`) with the original stride,
 * padding and dilation, applied to each of the `R0` slices (folded into the batch, so the
 * kernel is shared); `last`, a 1x1 conv `R0 R1 -> O` (`A`) that closes the ring, with the
 * original bias. The output equals the dense conv with the reconstructed kernel.
 */
export class TrConv2d extends nn.Module {
  readonly settings: Readonly<TrConv2dConfig>;

  constructor(engine: Engine, config: TrConv2dConfig) {
    super(engine);
    this.settings = { ...config };
    const { inChannels, outChannels, ranks, kernelSize, stride, padding, dilation, bias, dtype } = config;
    const [r0, r1, r2] = ranks;
    this.registerModule('first', new nn.Conv2d(engine, inChannels, r0 * r2, 1, { bias: false, dtype }));
    this.registerModule(
      'core',
      new nn.Conv2d(engine, r2, r1, kernelSize, { stride, padding, dilation, bias: false, dtype }),
    );
    this.registerModule('last', new nn.Conv2d(engine, r0 * r1, outChannels, 1, { bias, dtype }));
  }

  get first(): nn.Conv2d {
    return this.getModule('first') as nn.Conv2d;
  }
  get core(): nn.Conv2d {
    return this.getModule('core') as nn.Conv2d;
  }
  get last(): nn.Conv2d {
    return this.getModule('last') as nn.Conv2d;
  }

  get typeName(): string {
    return 'TrConv2d';
  }
  config(): TrConv2dConfig {
    return { ...this.settings };
  }

  /** Copies the three ring cores (and the bias, when the layer has one) into the convs. */
  loadFactors(cores: readonly Tensor[], bias: Tensor | null): this {
    const [a, b, c] = cores;
    this.engine.tidy(() => {
      // C [R2, I, R0] -> [R0 R2, I]; B [R1, K, R2] -> [R1, R2, K]; A [R0, O, R1] -> [O, R0 R1].
      this.first.weight.copyFrom(transpose(c, [2, 0, 1]));
      this.core.weight.copyFrom(transpose(b, [0, 2, 1]));
      this.last.weight.copyFrom(transpose(a, [1, 0, 2]));
    });
    const lastBias = this.last.bias;
    if (lastBias && bias) lastBias.copyFrom(bias);
    return this;
  }

  forward(x: Tensor): Tensor {
    const [r0, r1, r2] = this.settings.ranks;
    return this.engine.tidy(() => {
      const u = this.first.call(x);
      const [batch, , h, w] = u.shape;
      const v = this.core.call(reshape(u, [batch * r0, r2, h, w]));
      const [, , ho, wo] = v.shape;
      return this.last.call(reshape(v, [batch, r0 * r1, ho, wo]));
    });
  }

  /** `forward` in ONNX: the `R0` slices fold into the batch and back (a `0` keeps H and W as they are). */
  override toOnnx(g: nn.OnnxEmitter, input: string): string {
    const [r0, r1, r2] = this.settings.ranks;
    const o = new nn.OnnxShapes(g);
    const v = g.child('core', o.reshape(g.child('first', input), [-1, r2, 0, 0]));
    return g.child('last', o.reshape(v, [-1, r0 * r1, 0, 0]));
  }
}
