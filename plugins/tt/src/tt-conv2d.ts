import {
  BottleneckConv2d,
  type BottleneckConv2dConfig,
  conv2d,
  matmul,
  reshape,
  type Tensor,
  transpose,
} from '@lowrank/core';
import { ttConv2dPlan } from './tt-conv2d-plan.js';

/**
 * Constructor arguments of a `TtConv2d` (also its saved config); `ranks` are `[r1, r2]`, the
 * output-side and input-side TT ranks.
 */
export type TtConv2dConfig = BottleneckConv2dConfig;

/**
 * A conv layer in the three-core TT layout (admm paper Table 7): the kernel as `O x K x I`
 * with cores `G1 [1, O, r1]`, `G2 [r1, K, r2]`, `G3 [r2, I, 1]` runs as `first`, a 1x1 conv
 * `I -> r2` (`G3`), `core`, a `Kh x Kw` conv `r2 -> r1` (`G2`) with the original stride,
 * padding and dilation, and `last`, a 1x1 conv `r1 -> O` (`G1`) with the original bias.
 * For a batch of several images a 1x1 conv is folded into the kernel conv where that saves
 * multiply-accumulates (`ttConv2dPlan`); one image runs the three convs. In ONNX the three
 * convs are three Conv nodes, so the exported file holds the cores.
 */
export class TtConv2d extends BottleneckConv2d<TtConv2dConfig> {
  get typeName(): string {
    return 'TtConv2d';
  }

  /** Copies the three cores (and the bias, when the layer has one) into the convs. */
  loadFactors(cores: readonly Tensor[], bias: Tensor | null): this {
    const [g1, g2, g3] = cores;
    this.first.weight.copyFrom(g3);
    // G2 [r1, K, r2] -> conv weight [r1, r2, Kh, Kw].
    this.engine.tidy(() => this.core.weight.copyFrom(transpose(g2, [0, 2, 1])));
    this.last.weight.copyFrom(g1);
    const b = this.last.bias;
    if (b && bias) b.copyFrom(bias);
    return this;
  }

  override forward(x: Tensor): Tensor {
    const { inChannels, stride, padding, dilation } = this.settings;
    if (x.rank !== 4 || x.shape[1] !== inChannels)
      throw new RangeError(`TtConv2d: expected input [N, ${inChannels}, H, W], got [${x.shape}]`);
    const plan = ttConv2dPlan(this.settings, x.shape[0], [x.shape[2], x.shape[3]]);
    return this.engine.tidy(() => {
      if (!plan.mergeFirst && !plan.mergeLast) return this.last.call(this.core.call(this.first.call(x)));
      let kernel = plan.mergeFirst ? this.foldedFirst() : this.core.weight;
      if (plan.mergeLast) kernel = this.foldLast(kernel);
      const y = conv2d(
        plan.mergeFirst ? x : this.first.call(x),
        kernel,
        plan.mergeLast ? this.last.bias : null,
        {
          stride,
          padding,
          dilation,
        },
      );
      return plan.mergeLast ? y : this.last.call(y);
    });
  }

  /** The kernel conv after `first`, as one conv from the input channels: `[r1, I, Kh, Kw]`. */
  private foldedFirst(): Tensor {
    const [r1, r2] = this.settings.ranks;
    const [kh, kw] = this.settings.kernelSize;
    const i = this.settings.inChannels;
    // [r1, r2, K] -> [(r1, K), r2], times G3 [r2, I], back to [r1, I, K].
    const kernel = reshape(transpose(reshape(this.core.weight, [r1, r2, kh * kw]), [0, 2, 1]), [
      r1 * kh * kw,
      r2,
    ]);
    const folded = matmul(kernel, reshape(this.first.weight, [r2, i]));
    return reshape(transpose(reshape(folded, [r1, kh * kw, i]), [0, 2, 1]), [r1, i, kh, kw]);
  }

  /** `last` after a kernel `[r1, C, Kh, Kw]`, as one conv to the output channels: `[O, C, Kh, Kw]`. */
  private foldLast(kernel: Tensor): Tensor {
    const [r1, c, kh, kw] = kernel.shape;
    const o = this.settings.outChannels;
    return reshape(matmul(reshape(this.last.weight, [o, r1]), reshape(kernel, [r1, c * kh * kw])), [
      o,
      c,
      kh,
      kw,
    ]);
  }
}
