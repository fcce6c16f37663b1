import { type Engine, FactorizedChain, nn, type Tensor } from '@lowrank/core';
import type { Tucker2Factors } from './factors.js';
import { loadTucker2Factors } from './load-factors.js';

/** Constructor arguments of a `Tucker2Linear` (also its saved config). */
export type Tucker2LinearConfig = {
  inFeatures: number;
  outFeatures: number;
  /** `[R1, R2]`: the core's output and input features. */
  ranks: [number, number];
  bias: boolean;
  dtype: 'float32' | 'float64';
};

/**
 * A linear layer factorized by Tucker2 (the `K = 1` case, `W = U G V^T`): `first`, a
 * linear `I -> R2` (weight `V^T`); `core`, a linear `R2 -> R1` (weight `G`); `last`, a
 * linear `R1 -> O` with the original bias (weight `U`), run in turn (three ONNX nodes).
 */
export class Tucker2Linear extends FactorizedChain<Tucker2LinearConfig> {
  constructor(engine: Engine, config: Tucker2LinearConfig) {
    super(engine, config);
    const { inFeatures, outFeatures, ranks, bias, dtype } = config;
    const [r1, r2] = ranks;
    this.registerModule('first', new nn.Linear(engine, inFeatures, r2, { bias: false, dtype }));
    this.registerModule('core', new nn.Linear(engine, r2, r1, { bias: false, dtype }));
    this.registerModule('last', new nn.Linear(engine, r1, outFeatures, { bias, dtype }));
  }

  /** The linear `I -> R2` (children are looked up by name, so a replaced child is the one used). */
  get first(): nn.Linear {
    return this.getModule('first') as nn.Linear;
  }
  /** The linear `R2 -> R1`. */
  get core(): nn.Linear {
    return this.getModule('core') as nn.Linear;
  }
  /** The linear `R1 -> O`. */
  get last(): nn.Linear {
    return this.getModule('last') as nn.Linear;
  }

  get typeName(): string {
    return 'Tucker2Linear';
  }

  /** Copies the factors (and the bias, when the layer has one) into the three linears. */
  loadFactors(factors: Tucker2Factors, bias: Tensor | null): this {
    return loadTucker2Factors(this, factors, bias);
  }
}
