import type { Engine } from '../engine.js';
import { batchNorm } from '../ops/batch-norm.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';
import type { OnnxEmitter } from './onnx-export.js';

export interface BatchNormOptions {
  eps?: number;
  momentum?: number;
  affine?: boolean;
}

/**
 * Batch normalisation over [N, C, H, W] per channel, with running statistics
 * (`running_mean`, `running_var`, `num_batches_tracked`: PyTorch's names, so its
 * state dicts load as they are).
 */
export class BatchNorm2d extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked: Tensor;
  readonly eps: number;
  readonly momentum: number;

  constructor(
    engine: Engine,
    readonly numFeatures: number,
    options: BatchNormOptions = {},
  ) {
    super(engine);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    const affine = options.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', engine.ones([numFeatures])) : null;
    this.bias = affine ? this.registerParameter('bias', engine.zeros([numFeatures])) : null;
    this.runningMean = this.registerBuffer('running_mean', engine.zeros([numFeatures]));
    this.runningVar = this.registerBuffer('running_var', engine.ones([numFeatures]));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', engine.zeros([], 'int32'));
  }

  get typeName(): string {
    return 'BatchNorm2d';
  }
  config() {
    return {
      numFeatures: this.numFeatures,
      eps: this.eps,
      momentum: this.momentum,
      affine: this.weight !== null,
    };
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.numFeatures) {
      throw new RangeError(
        `BatchNorm2d(${this.numFeatures}): expected input [N, ${this.numFeatures}, H, W], got [${x.shape}]`,
      );
    }
    if (this.training) {
      this.engine.noGrad(() => {
        const next = this.numBatchesTracked.add(1);
        this.numBatchesTracked.assign(next);
        next.dispose();
      });
    }
    return batchNorm(x, {
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      weight: this.weight,
      bias: this.bias,
      training: this.training,
      momentum: this.momentum,
      eps: this.eps,
    });
  }

  /** Inference semantics: normalises by the running statistics. */
  override toOnnx(g: OnnxEmitter, input: string): string {
    const scale = g.initializer(
      this.weight ? 'weight' : 'scale',
      this.weight ?? this.engine.ones([this.numFeatures]),
    );
    const shift = g.initializer(
      this.bias ? 'bias' : 'shift',
      this.bias ?? this.engine.zeros([this.numFeatures]),
    );
    return g.node(
      'BatchNormalization',
      [
        input,
        scale,
        shift,
        g.initializer('running_mean', this.runningMean),
        g.initializer('running_var', this.runningVar),
      ],
      { epsilon: { float: this.eps } },
    );
  }
}
