import { add, type Engine, FactorizedLayer, nn, reshape, type Tensor, transpose } from '@lowrank/core';
import { legacyOrder, type TrLinearPlan, trLinearPlan } from './tr-linear-plan.js';

/** Constructor arguments of a `TrLinear` (also its saved config). */
export type TrLinearConfig = {
  /** `m_1..m_d`, product the output size. */
  outModes: number[];
  /** `n_1..n_d`, product the input size. */
  inModes: number[];
  /** Ring ranks `R_0..R_{d-1}`. */
  ranks: number[];
  bias: boolean;
  dtype: 'float32' | 'float64';
  /**
   * The order the cores are contracted with the input (a permutation of `0..d-1`; the plugin
   * picks the cheapest, `cheapestOrder`). Absent: `d-1, .., 0`, the order of layers saved
   * before it was a setting, so their weights load unchanged.
   */
  order?: number[];
};

const product = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);
const isIdentity = (perm: readonly number[]) => perm.every((p, i) => p === i);

/**
 * A linear layer in tensor-ring format (TR-FC): `y = x W^T + b` with
 * `W[(i_1..i_d), (j_1..j_d)] = trace(G_1[:, i_1, j_1, :] ... G_d[:, i_d, j_d, :])`, never forming
 * `W`. The input, reshaped to `(batch, n_1..n_d)`, is contracted with one core at a time in
 * `order` (see `trLinearPlan`): each core is a bias-free Linear child `core{k}` from the state's
 * axes it contracts (its `n_k` and the ring bonds already open) to those it leaves (its `m_k`
 * and its other bonds). The bias is the parameter `bias`.
 */
export class TrLinear extends FactorizedLayer<TrLinearConfig> {
  readonly bias: Tensor | null;
  readonly plan: TrLinearPlan;

  constructor(engine: Engine, config: TrLinearConfig) {
    const { outModes: m, inModes: n, ranks: r, dtype } = config;
    const d = m.length;
    if (n.length !== d || r.length !== d || d < 2) {
      throw new RangeError(
        `TrLinear: ${d} output modes, ${n.length} input modes and ${r.length} ranks do not make a ring of at least 2 cores`,
      );
    }
    const order = config.order ?? legacyOrder(d);
    if (order.length !== d || [...order].sort((a, b) => a - b).some((k, i) => k !== i)) {
      throw new RangeError(`TrLinear: order [${order}] is not a permutation of the ${d} cores 0..${d - 1}`);
    }
    super(engine, { ...config, order });
    this.plan = trLinearPlan(m, n, r, order);
    const byCore = [...this.plan.steps].sort((a, b) => a.core - b.core);
    for (const step of byCore) {
      this.registerModule(
        `core${step.core}`,
        new nn.Linear(engine, step.inFeatures, step.outFeatures, { bias: false, dtype }),
      );
    }
    this.bias = config.bias ? this.registerParameter('bias', engine.zeros([product(m)], dtype)) : null;
  }

  get typeName(): string {
    return 'TrLinear';
  }

  core(k: number): nn.Linear {
    return this.getModule(`core${k}`) as nn.Linear;
  }

  /** Copies ring cores `[R_k, m_k, n_k, R_{k+1}]` (and the bias, when the layer has one) into the layer. */
  loadFactors(cores: readonly Tensor[], bias: Tensor | null): this {
    for (const step of this.plan.steps) {
      this.engine.tidy(() => {
        const linear = this.core(step.core);
        linear.weight.copyFrom(reshape(transpose(cores[step.core], step.weightPerm), linear.weight.shape));
      });
    }
    if (this.bias && bias) this.bias.copyFrom(bias);
    return this;
  }

  forward(x: Tensor): Tensor {
    const { outModes: m, inModes: n } = this.settings;
    const inputs = product(n);
    if (x.shape[x.rank - 1] !== inputs)
      throw new RangeError(
        `TrLinear(${inputs} -> ${product(m)}): input [${x.shape}] does not end in ${inputs}`,
      );
    const lead = x.shape.slice(0, -1);
    const batch = product(lead);
    return this.engine.tidy(() => {
      let state = reshape(x, [batch, ...n]);
      for (const step of this.plan.steps) {
        const arranged = isIdentity(step.arrange)
          ? state
          : transpose(state, [0, ...step.arrange.map((a) => a + 1)]);
        const y = this.core(step.core).call(reshape(arranged, [-1, step.inFeatures]));
        state = reshape(y, [batch, ...step.after]);
      }
      const { finalPerm } = this.plan;
      const ordered = isIdentity(finalPerm) ? state : transpose(state, [0, ...finalPerm.map((a) => a + 1)]);
      const out = reshape(ordered, [...lead, product(m)]);
      return this.bias ? add(out, this.bias) : out;
    });
  }

  /** `forward`'s contraction in ONNX, core by core: each core's Linear sees 2-D rows. */
  override toOnnx(g: nn.OnnxEmitter, input: string): string {
    const { outModes: m, inModes: n } = this.settings;
    const o = new nn.OnnxShapes(g);
    let state = o.reshape(input, [-1, ...n]);
    for (const step of this.plan.steps) {
      if (!isIdentity(step.arrange)) state = o.transpose(state, [0, ...step.arrange.map((a) => a + 1)]);
      const y = g.child(`core${step.core}`, o.reshape(state, [-1, step.inFeatures]));
      state = o.reshape(y, [-1, ...step.after]);
    }
    const { finalPerm } = this.plan;
    const ordered = isIdentity(finalPerm) ? state : o.transpose(state, [0, ...finalPerm.map((a) => a + 1)]);
    // The traced input's rank ([N, features] when the trace did not reach the layer).
    const out = o.reshapeLike(ordered, input, g.inputShape?.length ?? 2, product(m));
    return this.bias ? g.node('Add', [out, g.initializer('bias', this.bias)]) : out;
  }
}
