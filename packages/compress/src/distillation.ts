import { add, type LayerInfo, mean, type nn, square, sub, sum, type Tensor } from '@lowrank/core';
import { effectiveWeight } from './effective-weight.js';

/** A compressed layer with the dense layer it replaced (the teacher). */
export interface DistilledLayer {
  info: LayerInfo;
  original: nn.Conv2d | nn.Linear;
  replacement: nn.Module;
}

/** Which terms `L_diss` has (both by default). */
export interface DistillationTerms {
  /** `sum_i ‖W_i - What_i‖_F^2`, with `What_i` the weight the factorized layer computes. */
  weights?: boolean;
  /** `sum_i mean (O_i(x) - D_i(x))^2`: the dense and the factorized layer on the same input. */
  outputs?: boolean;
}

/**
 * The distillation loss of the rene paper, `L_diss = sum_i ‖W_i - What_i‖^2 + sum_i
 * ‖O_i(x) - D_i(x)‖^2` (outputs mean-reduced), between each factorized layer `D_i` and
 * the dense layer `O_i` it replaced. The output term is gathered by forward hooks on the
 * factorized layers while the model runs: `attach`, run the model, then read `outputs()`.
 * The dense layer sees the very input the factorized one got, so the term asks each
 * factorized layer to compute what its original would on the compressed model's features.
 */
export class Distillation {
  private readonly collected: Tensor[] = [];
  private removers: (() => void)[] = [];
  /** True while `weights()` probes the factorized layers: those calls are not the model's. */
  private probing = false;

  constructor(
    readonly layers: readonly DistilledLayer[],
    readonly terms: DistillationTerms = {},
  ) {}

  /** Starts collecting output distances on every call of a factorized layer. */
  attach(): void {
    this.detach();
    if (this.terms.outputs === false) return;
    for (const { original, replacement } of this.layers) {
      const engine = replacement.engine;
      this.removers.push(
        replacement.addForwardHook((_m, inputs, output) => {
          if (this.probing) return;
          const term = engine.tidy(() => {
            const teacher = engine.noGrad(() => original.call(inputs[0]));
            return mean(square(sub(output, teacher)));
          });
          this.collected.push(engine.keep(term));
        }),
      );
    }
  }

  detach(): void {
    for (const remove of this.removers.splice(0)) remove();
    this.release();
  }

  /** The output term of the calls since the last `release` (a scalar, 0 without any). */
  outputs(): Tensor {
    const engine = this.layers[0].replacement.engine;
    return this.collected.reduce<Tensor>((acc, t) => add(acc, t), engine.scalar(0));
  }

  /** Frees the collected output distances (after the backward pass that used them). */
  release(): void {
    for (const t of this.collected.splice(0)) t.dispose();
  }

  /** The weight term, differentiable in the factorized layers' parameters. */
  weights(): Tensor {
    const engine = this.layers[0].replacement.engine;
    if (this.terms.weights === false) return engine.scalar(0);
    this.probing = true;
    try {
      return engine.tidy(() =>
        this.layers.reduce<Tensor>(
          (acc, { info, original, replacement }) =>
            add(acc, sum(square(sub(original.weight.detach(), effectiveWeight(replacement, info))))),
          engine.scalar(0),
        ),
      );
    } finally {
      this.probing = false;
    }
  }
}
