import {
  type ConvGeometry,
  type Engine,
  FactorizedLayer,
  nn,
  reshape,
  type Tensor,
  transpose,
} from '@lowrank/core';
import type { TrConvOrder } from './tr-conv-order.js';

/** Constructor arguments of a `TrConv2d` (also its saved config). */
export type TrConv2dConfig = {
  inChannels: number;
  outChannels: number;
  /** `[R0, R1, R2]`: the ring ranks input-output, output-kernel and kernel-input. */
  ranks: [number, number, number];
} & ConvGeometry & {
    bias: boolean;
    dtype: 'float32' | 'float64';
    /** How the input meets the cores (see `TrConvOrder`; the plugin picks the cheaper). Absent: `input-first`. */
    order?: TrConvOrder;
  };

/**
 * A conv layer whose kernel is the ring `O x K x I` (`K = Kh Kw`), cores `A [R0, O, R1]`,
 * `B [R1, K, R2]`, `C [R2, I, R0]`, so `W[o, i, k] = trace(A[:, o, :] B[:, k, :] C[:, i, :])`.
 * Three convs hold the cores: `first` the input core `C`, `core` the kernel core `B` (with the
 * original stride, padding and dilation), `last` the output core `A` (with the original bias),
 * a 1x1 conv that closes the ring. In the `input-first` order (PSTRN) `first` maps `I -> R0 R2`
 * channels and `core` (`R2 -> R1`) runs on each of the `R0` slices folded into the batch; in
 * the `kernel-first` order `core` (`1 -> R1 R2`) runs on each input channel folded into the
 * batch and `first` (`I R2 -> R0`) on each of the `R1` slices. Either way the kernel is shared
 * across the folded slices, and the output equals the dense conv with the reconstructed kernel.
 */
export class TrConv2d extends FactorizedLayer<TrConv2dConfig> {
  constructor(engine: Engine, config: TrConv2dConfig) {
    const order = config.order ?? 'input-first';
    if (order !== 'input-first' && order !== 'kernel-first')
      throw new RangeError(`TrConv2d: unknown order '${String(order)}'; use 'input-first' or 'kernel-first'`);
    super(engine, { ...config, order });
    const { inChannels, outChannels, ranks, kernelSize, stride, padding, dilation, bias, dtype } = config;
    const [r0, r1, r2] = ranks;
    const kernelFirst = order === 'kernel-first';
    this.registerModule(
      'first',
      kernelFirst
        ? new nn.Conv2d(engine, inChannels * r2, r0, 1, { bias: false, dtype })
        : new nn.Conv2d(engine, inChannels, r0 * r2, 1, { bias: false, dtype }),
    );
    this.registerModule(
      'core',
      new nn.Conv2d(engine, kernelFirst ? 1 : r2, kernelFirst ? r1 * r2 : r1, kernelSize, {
        stride,
        padding,
        dilation,
        bias: false,
        dtype,
      }),
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
  private get kernelFirst(): boolean {
    return this.settings.order === 'kernel-first';
  }

  get typeName(): string {
    return 'TrConv2d';
  }

  /** Copies the three ring cores (and the bias, when the layer has one) into the convs. */
  loadFactors(cores: readonly Tensor[], bias: Tensor | null): this {
    const [a, b, c] = cores;
    const load = (conv: nn.Conv2d, t: Tensor, perm: number[]) =>
      conv.weight.copyFrom(reshape(transpose(t, perm), conv.weight.shape));
    this.engine.tidy(() => {
      // B [R1, K, R2] -> [R1, R2, K] (both orders: the kernel conv's output channels or input slices are (R1, R2)).
      load(this.core, b, [0, 2, 1]);
      if (this.kernelFirst) {
        // C [R2, I, R0] -> [R0, I, R2]; A [R0, O, R1] -> [O, R1, R0].
        load(this.first, c, [2, 1, 0]);
        load(this.last, a, [1, 2, 0]);
      } else {
        // C [R2, I, R0] -> [R0, R2, I]; A [R0, O, R1] -> [O, R0, R1].
        load(this.first, c, [2, 0, 1]);
        load(this.last, a, [1, 0, 2]);
      }
    });
    const lastBias = this.last.bias;
    if (lastBias && bias) lastBias.copyFrom(bias);
    return this;
  }

  forward(x: Tensor): Tensor {
    const [r0, r1, r2] = this.settings.ranks;
    return this.engine.tidy(() => {
      if (this.kernelFirst) {
        const [batch, i, h, w] = x.shape;
        const v = this.core.call(reshape(x, [batch * i, 1, h, w]));
        const [, , ho, wo] = v.shape;
        // [N, I, R1, R2, Ho, Wo] -> [N R1, I R2, Ho, Wo]: the R1 slices in the batch.
        const slices = transpose(reshape(v, [batch, i, r1, r2, ho, wo]), [0, 2, 1, 3, 4, 5]);
        const u = this.first.call(reshape(slices, [batch * r1, i * r2, ho, wo]));
        return this.last.call(reshape(u, [batch, r1 * r0, ho, wo]));
      }
      const u = this.first.call(x);
      const [batch, , h, w] = u.shape;
      const v = this.core.call(reshape(u, [batch * r0, r2, h, w]));
      const [, , ho, wo] = v.shape;
      return this.last.call(reshape(v, [batch, r0 * r1, ho, wo]));
    });
  }

  /** `forward` in ONNX: slices fold into the batch and back (a `0` keeps H and W as they are). */
  override toOnnx(g: nn.OnnxEmitter, input: string): string {
    const [r0, r1, r2] = this.settings.ranks;
    const o = new nn.OnnxShapes(g);
    if (this.kernelFirst) {
      const i = this.settings.inChannels;
      const v = g.child('core', o.reshape(input, [-1, 1, 0, 0]));
      // The 6-D split needs Ho and Wo, read from the graph so any input size works.
      const spatial = g.node('Gather', [g.node('Shape', [v]), g.int64s('spatialAxes', [2, 3])], {
        axis: { int: 0 },
      });
      const withSpatial = (lead: number[], name: string) =>
        g.node('Concat', [g.int64s(name, lead), spatial], { axis: { int: 0 } });
      const split = g.node('Reshape', [v, withSpatial([-1, i, r1, r2], 'splitShape')]);
      const slices = o.transpose(split, [0, 2, 1, 3, 4, 5]);
      const u = g.child('first', g.node('Reshape', [slices, withSpatial([-1, i * r2], 'sliceShape')]));
      return g.child('last', o.reshape(u, [-1, r1 * r0, 0, 0]));
    }
    const v = g.child('core', o.reshape(g.child('first', input), [-1, r2, 0, 0]));
    return g.child('last', o.reshape(v, [-1, r0 * r1, 0, 0]));
  }
}
