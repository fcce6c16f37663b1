import type { Engine } from '../engine.js';
import { dropout } from '../ops/dropout.js';
import { flatten } from '../ops/shape.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';
import type { OnnxEmitter } from './onnx-export.js';

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
  override toOnnx(g: OnnxEmitter, input: string): string {
    const shape = g.inputShape;
    if (this.startAxis === 1 && (this.endAxis === -1 || (shape && this.endAxis === shape.length - 1))) {
      return g.node('Flatten', [input], { axis: { int: 1 } });
    }
    // Otherwise a Reshape: 0 keeps an axis before the merged ones (the batch axis
    // included), -1 is the merged run, and the traced sizes give the axes after it.
    if (!shape) {
      throw new Error(
        `Flatten '${g.path}': flattening axes ${this.startAxis}..${this.endAxis} needs the input's rank, which the export trace did not record`,
      );
    }
    const rank = shape.length;
    const start = this.startAxis < 0 ? this.startAxis + rank : this.startAxis;
    const end = this.endAxis < 0 ? this.endAxis + rank : this.endAxis;
    const target = [...Array<number>(start).fill(0), -1, ...shape.slice(end + 1)];
    return g.node('Reshape', [input, g.int64s('shape', target)]);
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
  /** Inference semantics: the identity. */
  override toOnnx(g: OnnxEmitter, input: string): string {
    return g.node('Identity', [input]);
  }
}
