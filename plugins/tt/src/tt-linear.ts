import {
  add,
  type Engine,
  FactorizedLayer,
  matmul,
  nn,
  reshape,
  type Tensor,
  transpose,
} from '@lowrank/core';
import { mergeTtCores } from './merge-tt-cores.js';
import { ttLinearPlan } from './tt-linear-plan.js';

/** Constructor arguments of a `TtLinear` (also its saved config). */
export type TtLinearConfig = {
  /** `m_1..m_d`, product the output size. */
  outModes: number[];
  /** `n_1..n_d`, product the input size. */
  inModes: number[];
  /** Interior TT ranks `r_1..r_{d-1}`. */
  ranks: number[];
  bias: boolean;
  dtype: 'float32' | 'float64';
};

const product = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

/**
 * A linear layer in the TT-matrix format (TT-FC, Novikov et al. 2015): `y = x W^T + b` with
 * `W[(i_1..i_d), (j_1..j_d)] = G_1[:, i_1, j_1, :] ... G_d[:, i_d, j_d, :]`, never forming `W`.
 * The input, reshaped to `(batch, n_1..n_d)`, is contracted with the cores from the last to
 * the first; core `k` is the child `core{k}`, a bias-free `Linear(n_k r_k -> r_{k-1} m_k)`
 * whose weight is the core `[r_{k-1}, m_k, n_k, r_k]` reshaped, so the layer trains by
 * autodiff like any other. The bias is the parameter `bias`. For a batch of several rows,
 * runs of neighbouring cores are merged first where that saves work (multiply-accumulates and
 * transposed elements; `ttLinearPlan`, up to the dense weight when the batch is large enough);
 * one row runs the plain contraction.
 */
export class TtLinear extends FactorizedLayer<TtLinearConfig> {
  readonly bias: Tensor | null;

  constructor(engine: Engine, config: TtLinearConfig) {
    super(engine, config);
    const { outModes, inModes, ranks, dtype } = config;
    if (outModes.length !== inModes.length || ranks.length !== outModes.length - 1) {
      throw new RangeError(
        `TtLinear: ${outModes.length} output modes, ${inModes.length} input modes and ${ranks.length} ranks do not make a TT-matrix`,
      );
    }
    const r = [1, ...ranks, 1];
    outModes.forEach((m, k) => {
      this.registerModule(
        `core${k}`,
        new nn.Linear(engine, inModes[k] * r[k + 1], r[k] * m, { bias: false, dtype }),
      );
    });
    this.bias = config.bias ? this.registerParameter('bias', engine.zeros([product(outModes)], dtype)) : null;
  }

  get typeName(): string {
    return 'TtLinear';
  }

  /** The child holding core `k` (looked up by name, so a replaced child is the one used). */
  core(k: number): nn.Linear {
    return this.getModule(`core${k}`) as nn.Linear;
  }

  /** The cores' weights, `[r_{k-1} m_k, n_k r_k]` each. */
  private weights(): Tensor[] {
    return this.settings.outModes.map((_, k) => this.core(k).weight);
  }

  /** Copies TT-matrix cores `[r_{k-1}, m_k, n_k, r_k]` (and the bias, when the layer has one) into the layer. */
  loadFactors(cores: readonly Tensor[], bias: Tensor | null): this {
    cores.forEach((c, k) => {
      this.core(k).weight.copyFrom(c);
    });
    if (this.bias && bias) this.bias.copyFrom(bias);
    return this;
  }

  forward(x: Tensor): Tensor {
    const { outModes, inModes, ranks } = this.settings;
    const n = product(inModes);
    if (x.shape[x.rank - 1] !== n)
      throw new RangeError(`TtLinear(${n} -> ${product(outModes)}): input [${x.shape}] does not end in ${n}`);
    const lead = x.shape.slice(0, -1);
    const rows = product(lead);
    const { segments } = ttLinearPlan(outModes, inModes, ranks, rows);
    const r = [1, ...ranks, 1];
    const modes = (xs: readonly number[], [i, j]: [number, number]) => product(xs.slice(i, j + 1));
    return this.engine.tidy(() => {
      // state: rows of [batch, M_done, N_left] by columns (N_s r_{j+1}) of the next segment [i, j],
      // M_done the output modes already done (in front), N_left the input modes still to do.
      // Every product is one 2-D GEMM, so a weight's gradient is one GEMM too.
      let mDone = 1;
      let s = segments.length - 1;
      let nLeft = n / modes(inModes, segments[s]);
      let state = reshape(x, [rows * nLeft, modes(inModes, segments[s])]);
      for (; s >= 0; s--) {
        const [i, j] = segments[s];
        const m = modes(outModes, segments[s]);
        const y =
          i === j
            ? this.core(i).call(state)
            : matmul(state, mergeTtCores(this.weights(), outModes, inModes, r, i, j), { transB: true });
        // Bring M_s in front of the output modes already done: [batch, (M_done, N_left, r_i), M_s]
        // -> [batch, M_s, (M_done, N_left, r_i)], as one 3-D transpose (none when either side is 1).
        const behind = mDone * nLeft * r[i];
        const moved = m === 1 || behind === 1 ? y : transpose(reshape(y, [rows, behind, m]), [0, 2, 1]);
        mDone *= m;
        if (s > 0) {
          const nPrev = modes(inModes, segments[s - 1]);
          nLeft /= nPrev;
          state = reshape(moved, [rows * mDone * nLeft, nPrev * r[i]]);
        } else state = moved;
      }
      const out = reshape(state, [...lead, mDone]);
      return this.bias ? add(out, this.bias) : out;
    });
  }

  /** The contraction of one row (`forward`'s plan for a single sample) in ONNX, core by core: each core's Linear sees a 2-D `[-1, n_k r_k]`. */
  override toOnnx(g: nn.OnnxEmitter, input: string): string {
    const { outModes, inModes, ranks } = this.settings;
    const d = outModes.length;
    const r = [1, ...ranks, 1];
    const o = new nn.OnnxShapes(g);
    let mDone = 1;
    let nLeft = product(inModes) / inModes[d - 1];
    let state = o.reshape(input, [-1, inModes[d - 1]]);
    for (let k = d - 1; k >= 0; k--) {
      const y = o.reshape(g.child(`core${k}`, state), [-1, mDone, nLeft, r[k], outModes[k]]);
      const moved = o.transpose(y, [0, 4, 1, 2, 3]);
      mDone *= outModes[k];
      if (k === 0) state = moved;
      else {
        nLeft /= inModes[k - 1];
        state = o.reshape(moved, [-1, inModes[k - 1] * r[k]]);
      }
    }
    // The traced input's rank ([N, features] when the trace did not reach the layer).
    const out = o.reshapeLike(state, input, g.inputShape?.length ?? 2, mDone);
    return this.bias ? g.node('Add', [out, g.initializer('bias', this.bias)]) : out;
  }
}
