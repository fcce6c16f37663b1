import type { OnnxEmitter } from './onnx-export.js';

/**
 * Reshape and Transpose idioms for `toOnnx` methods (the TT and TR layers use them).
 * Shapes keep the batch (and a conv's positions) in one `-1` dimension, so the graph
 * takes any batch; where a later shape needs them back, it is read from the graph (`Shape`).
 */
export class OnnxShapes {
  private constants = 0;

  constructor(private readonly g: OnnxEmitter) {}

  /** `x` reshaped to `shape` (whose `-1` takes the remaining size). */
  reshape(x: string, shape: readonly number[]): string {
    return this.g.node('Reshape', [x, this.int64s(shape)]);
  }

  transpose(x: string, perm: readonly number[]): string {
    return this.g.node('Transpose', [x], { perm: { ints: perm } });
  }

  /**
   * `x` reshaped to the runtime shape of `like`, a value of rank `rank`, with its last
   * dimension replaced by `last`. Only the leading dimensions are read from the graph
   * (Shape, Gather), and only when there is more than the batch.
   */
  reshapeLike(x: string, like: string, rank: number, last: number): string {
    if (rank <= 2) return this.reshape(x, [-1, last]);
    const leading = Array.from({ length: rank - 1 }, (_, i) => i);
    const lead = this.g.node('Gather', [this.g.node('Shape', [like]), this.int64s(leading)], {
      axis: { int: 0 },
    });
    const shape = this.g.node('Concat', [lead, this.int64s([last])], { axis: { int: 0 } });
    return this.g.node('Reshape', [x, shape]);
  }

  /** A fresh int64 constant of the module (the emitter names it by the module's path). */
  private int64s(values: readonly number[]): string {
    return this.g.int64s(`shape${this.constants++}`, values);
  }
}
