import { add, type Engine, nn, reshape, type Tensor, transpose } from '@lowrank/core';

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
};

const product = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

/**
 * A linear layer in tensor-ring format (TR-FC): `y = x W^T + b` with
 * `W[(i_1..i_d), (j_1..j_d)] = trace(G_1[:, i_1, j_1, :] ... G_d[:, i_d, j_d, :])`, never forming
 * `W`. The input, reshaped to `(batch, n_1..n_d)`, is contracted with the cores from the last
 * to the first, the ring rank `R_0` carried beside the batch until the first core closes the
 * trace. Children `core{k}` are bias-free Linears holding the cores: the last
 * `n_d -> R_{d-1} m_d R_0`, the middle ones `n_k R_{k+1} -> R_k m_k`, the first
 * `n_1 R_1 R_0 -> m_1`. The bias is the parameter `bias`.
 */
export class TrLinear extends nn.Module {
  readonly settings: Readonly<TrLinearConfig>;
  readonly bias: Tensor | null;

  constructor(engine: Engine, config: TrLinearConfig) {
    super(engine);
    this.settings = {
      ...config,
      outModes: [...config.outModes],
      inModes: [...config.inModes],
      ranks: [...config.ranks],
    };
    const { outModes: m, inModes: n, ranks: r, dtype } = config;
    const d = m.length;
    if (n.length !== d || r.length !== d || d < 2) {
      throw new RangeError(
        `TrLinear: ${d} output modes, ${n.length} input modes and ${r.length} ranks do not make a ring of at least 2 cores`,
      );
    }
    const shapes: [number, number][] = m.map((mk, k) => {
      if (k === 0) return [n[0] * r[1 % d] * r[0], mk];
      if (k === d - 1) return [n[k], r[k] * mk * r[0]];
      return [n[k] * r[k + 1], r[k] * mk];
    });
    shapes.forEach(([input, output], k) => {
      this.registerModule(`core${k}`, new nn.Linear(engine, input, output, { bias: false, dtype }));
    });
    this.bias = config.bias ? this.registerParameter('bias', engine.zeros([product(m)], dtype)) : null;
  }

  get typeName(): string {
    return 'TrLinear';
  }
  config(): TrLinearConfig {
    return {
      ...this.settings,
      outModes: [...this.settings.outModes],
      inModes: [...this.settings.inModes],
      ranks: [...this.settings.ranks],
    };
  }

  core(k: number): nn.Linear {
    return this.getModule(`core${k}`) as nn.Linear;
  }

  /** Copies ring cores `[R_k, m_k, n_k, R_{k+1}]` (and the bias, when the layer has one) into the layer. */
  loadFactors(cores: readonly Tensor[], bias: Tensor | null): this {
    const d = cores.length;
    cores.forEach((c, k) => {
      this.engine.tidy(() => {
        // The first core contracts (n_1, R_1, R_0); the last produces (R_{d-1}, m_d, R_0) from n_d.
        const arranged = k === 0 ? transpose(c, [1, 2, 3, 0]) : k === d - 1 ? transpose(c, [0, 1, 3, 2]) : c;
        this.core(k).weight.copyFrom(arranged);
      });
    });
    if (this.bias && bias) this.bias.copyFrom(bias);
    return this;
  }

  forward(x: Tensor): Tensor {
    const { outModes: m, inModes: n, ranks: r } = this.settings;
    const d = m.length;
    const inputs = product(n);
    if (x.shape[x.rank - 1] !== inputs)
      throw new RangeError(
        `TrLinear(${inputs} -> ${product(m)}): input [${x.shape}] does not end in ${inputs}`,
      );
    const lead = x.shape.slice(0, -1);
    const batch = product(lead);
    const r0 = r[0];
    return this.engine.tidy(() => {
      // The last core: [batch, N_{<d}, n_d] -> [batch, R_0, m_d, N_{<d}, R_{d-1}].
      let nLeft = inputs / n[d - 1];
      const y = reshape(this.core(d - 1).call(reshape(x, [batch, nLeft, n[d - 1]])), [
        batch,
        nLeft,
        r[d - 1],
        m[d - 1],
        r0,
      ]);
      let state = transpose(y, [0, 4, 3, 1, 2]);
      let mDone = m[d - 1];
      // Middle cores: state [batch, R_0, M_{>k}, N_{<k}, n_k R_{k+1}] -> [batch, R_0, M_{>=k}, N_{<k}, R_k].
      for (let k = d - 2; k >= 1; k--) {
        nLeft /= n[k];
        const z = reshape(this.core(k).call(reshape(state, [batch, r0, mDone, nLeft, n[k] * r[k + 1]])), [
          batch,
          r0,
          mDone,
          nLeft,
          r[k],
          m[k],
        ]);
        state = transpose(z, [0, 1, 5, 2, 3, 4]);
        mDone *= m[k];
      }
      // The first core closes the ring: [batch, M_{>1}, n_1 R_1 R_0] -> [batch, M_{>1}, m_1].
      const closing = reshape(transpose(reshape(state, [batch, r0, mDone, n[0], r[1]]), [0, 2, 3, 4, 1]), [
        batch,
        mDone,
        n[0] * r[1] * r0,
      ]);
      const out = reshape(transpose(this.core(0).call(closing), [0, 2, 1]), [...lead, mDone * m[0]]);
      return this.bias ? add(out, this.bias) : out;
    });
  }

  /** `forward`'s contraction in ONNX, core by core: each core's Linear sees 2-D rows. */
  override toOnnx(g: nn.OnnxEmitter, input: string): string {
    const { outModes: m, inModes: n, ranks: r } = this.settings;
    const d = m.length;
    const r0 = r[0];
    const o = new nn.OnnxShapes(g);
    let nLeft = product(n) / n[d - 1];
    const last = g.child(`core${d - 1}`, o.reshape(input, [-1, n[d - 1]]));
    let state = o.transpose(o.reshape(last, [-1, nLeft, r[d - 1], m[d - 1], r0]), [0, 4, 3, 1, 2]);
    let mDone = m[d - 1];
    for (let k = d - 2; k >= 1; k--) {
      nLeft /= n[k];
      const z = g.child(`core${k}`, o.reshape(state, [-1, n[k] * r[k + 1]]));
      state = o.transpose(o.reshape(z, [-1, r0, mDone, nLeft, r[k], m[k]]), [0, 1, 5, 2, 3, 4]);
      mDone *= m[k];
    }
    const closing = o.transpose(o.reshape(state, [-1, r0, mDone, n[0], r[1]]), [0, 2, 3, 4, 1]);
    const first = g.child('core0', o.reshape(closing, [-1, n[0] * r[1] * r0]));
    const ordered = o.transpose(o.reshape(first, [-1, mDone, m[0]]), [0, 2, 1]);
    // The traced input's rank ([N, features] when the trace did not reach the layer).
    const out = o.reshapeLike(ordered, input, g.inputShape?.length ?? 2, mDone * m[0]);
    return this.bias ? g.node('Add', [out, g.initializer('bias', this.bias)]) : out;
  }
}
