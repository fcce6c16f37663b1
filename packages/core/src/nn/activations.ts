import type { Engine } from '../engine.js';
import { logSoftmax, softmax } from '../ops/activation.js';
import { gelu, relu, sigmoid, tanh } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';
import type { OnnxEmitter } from './onnx-export.js';

/** An elementwise activation as a module (no parameters). */
abstract class Activation extends Module {
  config() {
    return {};
  }
}

export class ReLU extends Activation {
  get typeName(): string {
    return 'ReLU';
  }
  forward(x: Tensor): Tensor {
    return relu(x);
  }
  override toOnnx(g: OnnxEmitter, input: string): string {
    return g.node('Relu', [input]);
  }
}

export class GELU extends Activation {
  get typeName(): string {
    return 'GELU';
  }
  forward(x: Tensor): Tensor {
    return gelu(x);
  }
  /** The exact (erf) GELU, x/2 (1 + erf(x/√2)): opset 13 has Erf but no Gelu. */
  override toOnnx(g: OnnxEmitter, input: string): string {
    const scaled = g.node('Div', [input, g.initializer('sqrt2', this.engine.scalar(Math.SQRT2))]);
    const onePlusErf = g.node('Add', [g.node('Erf', [scaled]), g.initializer('one', this.engine.scalar(1))]);
    return g.node('Mul', [
      g.node('Mul', [input, onePlusErf]),
      g.initializer('half', this.engine.scalar(0.5)),
    ]);
  }
}

export class Sigmoid extends Activation {
  get typeName(): string {
    return 'Sigmoid';
  }
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
  override toOnnx(g: OnnxEmitter, input: string): string {
    return g.node('Sigmoid', [input]);
  }
}

export class Tanh extends Activation {
  get typeName(): string {
    return 'Tanh';
  }
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
  override toOnnx(g: OnnxEmitter, input: string): string {
    return g.node('Tanh', [input]);
  }
}

export class Softmax extends Module {
  constructor(
    engine: Engine,
    readonly axis = -1,
  ) {
    super(engine);
  }
  get typeName(): string {
    return 'Softmax';
  }
  config() {
    return { axis: this.axis };
  }
  forward(x: Tensor): Tensor {
    return softmax(x, this.axis);
  }
  override toOnnx(g: OnnxEmitter, input: string): string {
    return g.node(this.typeName, [input], { axis: { int: this.axis } });
  }
}

export class LogSoftmax extends Softmax {
  override get typeName(): string {
    return 'LogSoftmax';
  }
  override forward(x: Tensor): Tensor {
    return logSoftmax(x, this.axis);
  }
}
