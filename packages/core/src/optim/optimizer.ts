import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';

/**
 * What an optimizer has learned, for checkpoints: enough to continue exactly where it was.
 * Keys are `<parameter index>.<name>` (e.g. `'3.m'`), the index into `params`.
 */
export interface OptimizerState {
  stepCount: number;
  lr: number;
  /** Per-parameter state tensors (the optimizer's own; copy them to keep them past the next step). */
  tensors: Map<string, Tensor>;
  /** Per-parameter integer counters (Adam's update counts). */
  counters: Map<string, number>;
}

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

  /** The step count, lr and per-parameter state, for a checkpoint (see `loadStateDict`). */
  stateDict(): OptimizerState {
    const tensors = new Map<string, Tensor>();
    this.params.forEach((p, i) => {
      for (const [key, t] of Object.entries(this.state.get(p) ?? {})) tensors.set(`${i}.${key}`, t);
    });
    return { stepCount: this.stepCount, lr: this.lr, tensors, counters: new Map() };
  }

  /**
   * Replaces the state with copies of a `stateDict()`'s (of an optimizer of the same kind over
   * parameters of the same shapes, in the same order), so that stepping continues identically.
   */
  loadStateDict(saved: OptimizerState): void {
    const parsed: [Tensor, string, Tensor][] = [];
    for (const [name, t] of saved.tensors) {
      const p = this.params[this.paramIndex(name)];
      if (t.isDisposed)
        throw new Error(`${this.constructor.name}.loadStateDict: state '${name}' was disposed`);
      // SGD's and Adam's state is shaped like its parameter: another shape is another model.
      if (t.shape.join() !== p.shape.join()) {
        throw new RangeError(
          `${this.constructor.name}.loadStateDict: state '${name}' is [${t.shape}], its parameter is [${p.shape}]`,
        );
      }
      parsed.push([p, name.slice(name.indexOf('.') + 1), t]);
    }
    this.dispose();
    for (const [p, key, t] of parsed) {
      const own = this.engine.noGrad(() => t.detach());
      this.stateOf(p)[key] = this.engine.keep(own);
    }
    this.stepCount = saved.stepCount;
    this.lr = saved.lr;
  }

  /** The parameter index of a state key `<index>.<name>`, or an error naming the key. */
  protected paramIndex(name: string): number {
    const index = Number(name.slice(0, name.indexOf('.')));
    if (!Number.isInteger(index) || index < 0 || index >= this.params.length || !name.includes('.')) {
      throw new RangeError(
        `${this.constructor.name}.loadStateDict: state key '${name}' does not name one of the ${this.params.length} parameters ('<index>.<name>')`,
      );
    }
    return index;
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
