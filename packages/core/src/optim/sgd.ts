import { add, mul, sub } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import { Optimizer } from './optimizer.js';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/** Stochastic gradient descent with momentum, Nesterov and L2 weight decay, as PyTorch's SGD. */
export class SGD extends Optimizer {
  momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;

  constructor(params: readonly Tensor[], options: SgdOptions) {
    super(params, options.lr);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.nesterov = options.nesterov ?? false;
    this.weightDecay = options.weightDecay ?? 0;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new RangeError('SGD: Nesterov momentum needs momentum > 0 and dampening 0');
    }
  }

  protected update(p: Tensor, grad: Tensor, state: Record<string, Tensor>): Tensor {
    let g = this.weightDecay ? add(grad, mul(p, this.weightDecay)) : grad;
    if (this.momentum) {
      const prev = state.buf;
      const buf = prev ? add(mul(prev, this.momentum), mul(g, 1 - this.dampening)) : g.detach();
      this.setState(state, 'buf', buf);
      g = this.nesterov ? add(g, mul(buf, this.momentum)) : buf;
    }
    return sub(p, mul(g, this.lr));
  }
}
