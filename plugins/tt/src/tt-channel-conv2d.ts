import {
  add,
  type ConvGeometry,
  type Engine,
  FactorizedLayer,
  nn,
  reshape,
  type Tensor,
  transpose,
} from '@lowrank/core';

/** Constructor arguments of a `TtChannelConv2d` (also its saved config). */
export type TtChannelConv2dConfig = {
  /** `o_1..o_a`, product the output channels. */
  outModes: number[];
  /** `i_1..i_b`, product the input channels. */
  inModes: number[];
  /** Interior TT ranks `r_1..r_{a+b}` over the modes `[o_1..o_a, K, i_1..i_b]`. */
  ranks: number[];
} & ConvGeometry & {
    bias: boolean;
    dtype: 'float32' | 'float64';
  };

const product = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

/**
 * A conv layer in the channel-factorised TT layout (Garipov et al. 2016; admm paper's
 * `[o_1.., K, ..i_b]` shapes): the kernel as `o_1 x .. x o_a x K x i_1 x .. x i_b` in TT
 * format. The input channels are contracted with the input cores (children `in{j}`, bias-free
 * `Linear(i_j r -> r')` on channels-last activations, last core first) down to `r_{a+1}`
 * channels; `core`, a conv `r_{a+1} -> r_a` with the original kernel size, stride, padding and
 * dilation, applies the middle core; the output cores (children `out{j}`, `Linear(r -> r' o_j)`)
 * expand to the `O` output channels, and the parameter `bias` is added.
 */
export class TtChannelConv2d extends FactorizedLayer<TtChannelConv2dConfig> {
  readonly bias: Tensor | null;

  constructor(engine: Engine, config: TtChannelConv2dConfig) {
    super(engine, config);
    const { outModes, inModes, ranks, kernelSize, stride, padding, dilation, dtype } = config;
    const a = outModes.length;
    if (ranks.length !== a + inModes.length) {
      throw new RangeError(
        `TtChannelConv2d: ${ranks.length} ranks for ${a} output and ${inModes.length} input modes; give ${a + inModes.length}`,
      );
    }
    const r = [1, ...ranks, 1];
    // Core j of the output side is [r_j, o_j, r_{j+1}]; core a is the kernel; input core j is core a + 1 + j.
    outModes.forEach((o, j) => {
      this.registerModule(`out${j}`, new nn.Linear(engine, r[j + 1], r[j] * o, { bias: false, dtype }));
    });
    this.registerModule(
      'core',
      new nn.Conv2d(engine, r[a + 1], r[a], kernelSize, { stride, padding, dilation, bias: false, dtype }),
    );
    inModes.forEach((i, j) => {
      const c = a + 1 + j;
      this.registerModule(`in${j}`, new nn.Linear(engine, i * r[c + 1], r[c], { bias: false, dtype }));
    });
    this.bias = config.bias ? this.registerParameter('bias', engine.zeros([product(outModes)], dtype)) : null;
  }

  get typeName(): string {
    return 'TtChannelConv2d';
  }

  private linear(name: string): nn.Linear {
    return this.getModule(name) as nn.Linear;
  }
  get core(): nn.Conv2d {
    return this.getModule('core') as nn.Conv2d;
  }

  /** Copies the cores `[r_{k-1}, n_k, r_k]` over `[o.., K, i..]` (and the bias) into the layer. */
  loadFactors(cores: readonly Tensor[], bias: Tensor | null): this {
    const a = this.settings.outModes.length;
    cores.forEach((c, k) => {
      if (k < a) this.linear(`out${k}`).weight.copyFrom(c);
      else if (k > a) this.linear(`in${k - a - 1}`).weight.copyFrom(c);
      // The kernel core [r_a, K, r_{a+1}] -> conv weight [r_a, r_{a+1}, Kh, Kw].
      else this.engine.tidy(() => this.core.weight.copyFrom(transpose(c, [0, 2, 1])));
    });
    if (this.bias && bias) this.bias.copyFrom(bias);
    return this;
  }

  forward(x: Tensor): Tensor {
    const { outModes, inModes, ranks } = this.settings;
    const a = outModes.length;
    const b = inModes.length;
    const r = [1, ...ranks, 1];
    const [batch, channels, h, w] = x.shape;
    if (x.rank !== 4 || channels !== product(inModes)) {
      throw new RangeError(
        `TtChannelConv2d: expected input [N, ${product(inModes)}, H, W], got [${x.shape}]`,
      );
    }
    return this.engine.tidy(() => {
      // Input side, channels last, as 2-D rows (so every core is one GEMM, its gradient too):
      // rows [N, H, W, i_1..i_{j-1}] by columns (i_j, r) for core j.
      const positions = batch * h * w;
      const channelsLast = (t: Tensor) => transpose(reshape(t, [t.shape[0], t.shape[1], -1]), [0, 2, 1]);
      let state = reshape(channelsLast(x), [(channels / inModes[b - 1]) * positions, inModes[b - 1]]);
      for (let j = b - 1; j >= 0; j--) {
        const y = this.linear(`in${j}`).call(state);
        const before = product(inModes.slice(0, j));
        state =
          j > 0 ? reshape(y, [(positions * before) / inModes[j - 1], inModes[j - 1] * r[a + 1 + j]]) : y;
      }
      // [N H W, r_{a+1}] -> [N, r_{a+1}, H, W] -> the kernel core.
      const conv = this.core.call(
        reshape(transpose(reshape(state, [batch, h * w, r[a + 1]]), [0, 2, 1]), [batch, r[a + 1], h, w]),
      );
      const [, , ho, wo] = conv.shape;
      // Output side: rows [N, Ho, Wo, o_a..o_{j+1}] by the rank r_j.
      const outPositions = batch * ho * wo;
      let done = 1;
      let out = reshape(channelsLast(conv), [outPositions, r[a]]);
      for (let j = a - 1; j >= 0; j--) {
        const y = this.linear(`out${j}`).call(out);
        const moved =
          r[j] === 1 ? y : transpose(reshape(y, [outPositions * done, r[j], outModes[j]]), [0, 2, 1]);
        done *= outModes[j];
        out = reshape(moved, [outPositions * done, r[j]]);
      }
      // [N, Ho Wo, o_a..o_1] -> [N, o_1..o_a, Ho Wo] -> [N, O, Ho, Wo].
      const modes = reshape(out, [batch, ho * wo, ...[...outModes].reverse()]);
      const perm = [0, ...Array.from({ length: a }, (_, t) => 1 + a - t), 1];
      const y = reshape(transpose(modes, perm), [batch, done, ho, wo]);
      return this.bias ? add(y, reshape(this.bias, [1, done, 1, 1])) : y;
    });
  }

  /**
   * `forward` in ONNX. The channel cores act on each position alone, so their Linears see
   * 2-D `[-1, channels]` rows (batch and positions merged); the positions come back for the conv.
   */
  override toOnnx(g: nn.OnnxEmitter, input: string): string {
    const { outModes, inModes, ranks } = this.settings;
    const a = outModes.length;
    const b = inModes.length;
    const r = [1, ...ranks, 1];
    const o = new nn.OnnxShapes(g);
    const channelsLast = o.transpose(input, [0, 2, 3, 1]);
    let state = o.reshape(channelsLast, [-1, inModes[b - 1]]);
    for (let j = b - 1; j >= 0; j--) {
      const y = g.child(`in${j}`, state);
      state = j > 0 ? o.reshape(y, [-1, inModes[j - 1] * r[a + 1 + j]]) : y;
    }
    const conv = g.child('core', o.transpose(o.reshapeLike(state, channelsLast, 4, r[a + 1]), [0, 3, 1, 2]));
    const convLast = o.transpose(conv, [0, 2, 3, 1]);
    let out = o.reshape(convLast, [-1, r[a]]);
    for (let j = a - 1; j >= 0; j--) {
      const y = o.reshape(g.child(`out${j}`, out), [-1, r[j], outModes[j]]);
      out = o.reshape(o.transpose(y, [0, 2, 1]), [-1, r[j]]);
    }
    // Rows of (o_a..o_1) -> (o_1..o_a), then back to [N, O, Ho, Wo]. The bias is added while the
    // channels are last, where it broadcasts as it is (its initializer keeps its own shape).
    const modes = o.reshape(out, [-1, ...[...outModes].reverse()]);
    const ordered = o.transpose(modes, [0, ...Array.from({ length: a }, (_, t) => a - t)]);
    const y = o.reshapeLike(ordered, convLast, 4, product(outModes));
    const biased = this.bias ? g.node('Add', [y, g.initializer('bias', this.bias)]) : y;
    return o.transpose(biased, [0, 3, 1, 2]);
  }
}
