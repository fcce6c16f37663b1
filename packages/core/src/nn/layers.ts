import type { Engine } from '../engine.js';
import { dropout } from '../ops/dropout.js';
import { flatten } from '../ops/shape.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** Flattens axes startAxis..endAxis (by default all but the batch axis). */
export class Flatten extends Module {
  constructor(
    engine: Engine,
    readonly startAxis = 1,
    readonly endAxis = -1,
  ) {
    super(engine);
  }
  get typeName(): string {
    return 'Flatten';
  }
  config() {
    return { startAxis: this.startAxis, endAxis: this.endAxis };
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startAxis, this.endAxis);
  }
}

/** Inverted dropout in training mode, identity in eval mode. */
export class Dropout extends Module {
  constructor(
    engine: Engine,
    readonly p = 0.5,
  ) {
    super(engine);
    if (!(p >= 0 && p < 1)) throw new RangeError(`Dropout: p must be in [0, 1), got ${p}`);
  }
  get typeName(): string {
    return 'Dropout';
  }
  config() {
    return { p: this.p };
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
}
