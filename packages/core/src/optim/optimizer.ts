import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';

/** Shared mechanics: the parameters, the learning rate, per-parameter state, zeroing gradients. */
export abstract class Optimizer {
  readonly params: readonly Tensor[];
  lr: number;
  protected readonly engine: Engine;
  protected readonly state = new Map<Tensor, Record<string, Tensor>>();
  stepCount = 0;

  constructor(params: readonly Tensor[], lr: number) {
    if (params.length === 0) throw new Error(`${new.target.name}: no parameters to optimise`);
    if (!(lr >= 0)) throw new RangeError(`${new.target.name}: lr must be non-negative, got ${lr}`);
    for (const p of params) {
      if (!p.requiresGrad) throw new Error(`${new.target.name}: tensor #${p.id} does not require gradients`);
    }
    this.params = params;
    this.lr = lr;
    this.engine = params[0].engine;
  }

  /** Applies one update from the current `.grad`s (parameters without one are skipped). */
  step(): void {
    this.stepCount++;
    this.engine.noGrad(() => {
      for (const p of this.params) {
        if (!p.grad) continue;
        const next = this.engine.tidy(() => this.update(p, p.grad!, this.stateOf(p)));
        p.assign(next);
        next.dispose();
      }
    });
  }

  /** Drops every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Frees the optimizer's state tensors. */
  dispose(): void {
    for (const s of this.state.values()) for (const t of Object.values(s)) t.dispose();
    this.state.clear();
  }

  /** Returns the new value of `p`; may replace entries of `state` (the old ones are freed). */
  protected abstract update(p: Tensor, grad: Tensor, state: Record<string, Tensor>): Tensor;

  protected setState(state: Record<string, Tensor>, key: string, value: Tensor): Tensor {
    state[key]?.dispose();
    state[key] = this.engine.keep(value);
    return value;
  }

  private stateOf(p: Tensor): Record<string, Tensor> {
    let s = this.state.get(p);
    if (!s) {
      s = {};
      this.state.set(p, s);
    }
    return s;
  }
}
