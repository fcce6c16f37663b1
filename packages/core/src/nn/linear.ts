import type { Engine } from '../engine.js';
import { add } from '../ops/elementwise.js';
import { matmul } from '../ops/linear.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { defaultUniform } from './init.js';
import { Module } from './module.js';
import type { OnnxEmitter } from './onnx-export.js';

export interface LinearOptions {
  bias?: boolean;
  /** Parameter dtype (default float32; float64 on the CPU for exact checks). */
  dtype?: 'float32' | 'float64';
}

/** y = x W^T + b with W [out, in] (PyTorch's layout); x is [..., in]. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    engine: Engine,
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super(engine);
    const dtype = options.dtype ?? 'float32';
    this.weight = this.registerParameter(
      'weight',
      defaultUniform(engine, [outFeatures, inFeatures], inFeatures, dtype),
    );
    this.bias =
      options.bias === false
        ? null
        : this.registerParameter('bias', defaultUniform(engine, [outFeatures], inFeatures, dtype));
  }

  get typeName(): string {
    return 'Linear';
  }
  config() {
    return {
      inFeatures: this.inFeatures,
      outFeatures: this.outFeatures,
      bias: this.bias !== null,
      dtype: this.weight.dtype,
    };
  }

  forward(x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new RangeError(
        `Linear(${this.inFeatures} -> ${this.outFeatures}): input ${formatShape(x.shape)} does not end in ${this.inFeatures}`,
      );
    }
    return this.engine.tidy(() => {
      const y = matmul(x, this.weight, { transB: true });
      return this.bias ? add(y, this.bias) : y;
    });
  }

  override toOnnx(g: OnnxEmitter, input: string): string {
    const weight = g.initializer('weight', this.weight);
    const bias = this.bias ? g.initializer('bias', this.bias) : null;
    // Gemm keeps PyTorch's [out, in] weight as it is but takes only [N, in] inputs.
    if ((g.inputShape?.length ?? 2) === 2) {
      return g.node('Gemm', bias ? [input, weight, bias] : [input, weight], { transB: { int: 1 } });
    }
    const y = g.node('MatMul', [input, g.node('Transpose', [weight], { perm: { ints: [1, 0] } })]);
    return bias ? g.node('Add', [y, bias]) : y;
  }
}
