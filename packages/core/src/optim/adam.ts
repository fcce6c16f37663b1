import { add, div, mul, sqrt, square, sub } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, type OptimizerState } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/** Adam (Kingma and Ba) with bias correction; `weightDecay` is L2 added to the gradient, as PyTorch's Adam. */
export class Adam extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  protected readonly decoupled: boolean = false;
  private readonly updates = new Map<Tensor, number>();

  constructor(params: readonly Tensor[], options: AdamOptions = {}) {
    super(params, options.lr ?? 1e-3);
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
  }

  /** Adds each parameter's update count (`'<index>.updates'`), which bias correction needs. */
  override stateDict(): OptimizerState {
    const saved = super.stateDict();
    this.params.forEach((p, i) => {
      const t = this.updates.get(p);
      if (t !== undefined) saved.counters.set(`${i}.updates`, t);
    });
    return saved;
  }

  override loadStateDict(saved: OptimizerState): void {
    const updates = [...saved.counters].map(([name, t]) => [this.params[this.paramIndex(name)], t] as const);
    super.loadStateDict(saved);
    this.updates.clear();
    for (const [p, t] of updates) this.updates.set(p, t);
  }

  protected update(p: Tensor, grad: Tensor, state: Record<string, Tensor>): Tensor {
    const [b1, b2] = this.betas;
    // Bias correction counts this parameter's own updates (it may have skipped steps without a gradient).
    const t = (this.updates.get(p) ?? 0) + 1;
    this.updates.set(p, t);
    let param = p;
    let g = grad;
    if (this.weightDecay) {
      if (this.decoupled) param = mul(p, 1 - this.lr * this.weightDecay);
      else g = add(grad, mul(p, this.weightDecay));
    }
    const m = this.setState(state, 'm', state.m ? add(mul(state.m, b1), mul(g, 1 - b1)) : mul(g, 1 - b1));
    const v = this.setState(
      state,
      'v',
      state.v ? add(mul(state.v, b2), mul(square(g), 1 - b2)) : mul(square(g), 1 - b2),
    );
    const mHat = div(m, 1 - b1 ** t);
    const vHat = div(v, 1 - b2 ** t);
    return sub(param, mul(div(mHat, add(sqrt(vHat), this.eps)), this.lr));
  }
}

/** AdamW (Loshchilov and Hutter): weight decay applied to the weights, decoupled from the gradient. Default decay 0.01. */
export class AdamW extends Adam {
  protected override readonly decoupled = true;
  constructor(params: readonly Tensor[], options: AdamOptions = {}) {
    super(params, { weightDecay: 0.01, ...options });
  }
}
