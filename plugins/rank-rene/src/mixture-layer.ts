import {
  add,
  conv2d,
  type DecompositionPlugin,
  type LayerInfo,
  matmul,
  mul,
  nn,
  reshape,
  slice,
  softmax,
  type Tensor,
} from '@lowrank/core';
import { factorTensors } from './factor-tensors.js';

/** One candidate of a layer: its scalar rank, the ranks it gives the layer, its factors. */
export interface Candidate<F = unknown> {
  scalar: number;
  ranks: readonly number[];
  factors: F;
}

/**
 * RENE's layer during the search: candidate decompositions `What^(r)` of one conv or
 * linear layer and a logit per candidate. It computes with the mixed weight
 * `sum_r p_r What^(r)`, `p = softmax(logits)`, as ONE conv/linear (by linearity the same
 * as mixing the candidates' outputs), so core autodiff reaches the factors and the logits.
 * The factors and the logits are its parameters (the logits start at 0); the bias is the
 * original layer's, used as is.
 */
export class MixtureLayer<F = unknown> extends nn.Module {
  readonly logits: Tensor;
  /** Each candidate's trainable factor tensors, in the candidates' order. */
  readonly factorParameters: Tensor[][];

  constructor(
    engine: nn.Module['engine'],
    readonly info: LayerInfo,
    readonly decomposition: DecompositionPlugin<F>,
    readonly candidates: readonly Candidate<F>[],
    readonly bias: Tensor | null,
  ) {
    super(engine);
    if (candidates.length === 0) {
      throw new Error(`rank-rene: layer '${info.name}' has no candidate ranks; give it at least one`);
    }
    this.factorParameters = candidates.map((c, k) =>
      factorTensors(c.factors).map((t, j) => this.registerParameter(`candidate${k}_${j}`, t)),
    );
    const dtype = this.factorParameters[0][0]?.dtype === 'float64' ? 'float64' : 'float32';
    this.logits = this.registerParameter('logits', engine.zeros([candidates.length], dtype));
  }

  get typeName(): string {
    return 'MixtureLayer';
  }

  config() {
    return {
      layer: this.info.name,
      decomposition: this.decomposition.name,
      candidates: this.candidates.map((c) => c.ranks),
    };
  }

  /** `p = softmax(logits)`. */
  probabilities(logits: Tensor = this.logits): Tensor {
    return softmax(logits);
  }

  /** `sum_r p_r What^(r)` in the layer's weight shape, `p` from `logits` (by default the layer's own). */
  mixedWeight(logits: Tensor = this.logits): Tensor {
    return this.engine.tidy(() => {
      const p = this.probabilities(logits);
      let mixed: Tensor | null = null;
      for (const [k, c] of this.candidates.entries()) {
        const term = mul(this.decomposition.reconstruct(c.factors), reshape(slice(p, [[k, k + 1]]), []));
        mixed = mixed === null ? term : add(mixed, term);
      }
      return mixed as Tensor;
    });
  }

  forward(x: Tensor): Tensor {
    return this.engine.tidy(() => this.applyWeight(x, this.mixedWeight()));
  }

  /**
   * Refuses with the way out: the layer exists only during the search (the search puts the
   * original layers back), so a model holding one was exported too early.
   */
  override toOnnx(): string {
    throw new Error(
      `rank-rene: layer '${this.info.name}' is a MixtureLayer, RENE's search-time layer, which has no ONNX form; export the model after the search, with the layer decomposed at the selected ranks (the decomposition plugin's layer(...)) or left dense`,
    );
  }

  /** The original layer's operation (conv with its stride, padding, dilation; or linear) with weight `w`. */
  applyWeight(x: Tensor, w: Tensor): Tensor {
    const { info } = this;
    return this.engine.tidy(() => {
      if (info.kind === 'linear') {
        const y = matmul(x, w, { transB: true });
        return this.bias ? add(y, this.bias) : y;
      }
      return conv2d(x, w, this.bias, {
        stride: info.stride,
        padding: info.padding,
        dilation: info.dilation,
        groups: info.groups,
      });
    });
  }

  /** Frees the candidates' factors and the logits (the bias belongs to the original layer). */
  disposeCandidates(): void {
    for (const t of [...this.factorParameters.flat(), this.logits]) t.dispose();
  }
}
