import { type Engine, nn } from '@lowrank/core';
import { SvdLayer } from './svd-layer.js';

/** Constructor arguments of an `SvdLinear` (also its saved config). */
export type SvdLinearConfig = {
  inFeatures: number;
  outFeatures: number;
  rank: number;
  bias: boolean;
  dtype: 'float32' | 'float64';
};

/**
 * A linear layer factorized by SVD: `first`, a linear `I -> r` without bias (weight
 * `v`), then `second`, a linear `r -> O` with the original bias (weight `u`).
 */
export class SvdLinear extends SvdLayer<SvdLinearConfig, nn.Linear> {
  constructor(engine: Engine, config: SvdLinearConfig) {
    super(engine, config);
    const { inFeatures, outFeatures, rank, bias, dtype } = config;
    this.registerModule('first', new nn.Linear(engine, inFeatures, rank, { bias: false, dtype }));
    this.registerModule('second', new nn.Linear(engine, rank, outFeatures, { bias, dtype }));
  }

  get typeName(): string {
    return 'SvdLinear';
  }
}
