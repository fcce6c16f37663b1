import type { Engine } from '../engine.js';
import { logSoftmax, softmax } from '../ops/activation.js';
import { gelu, relu, sigmoid, tanh } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

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
}

export class GELU extends Activation {
  get typeName(): string {
    return 'GELU';
  }
  forward(x: Tensor): Tensor {
    return gelu(x);
  }
}

export class Sigmoid extends Activation {
  get typeName(): string {
    return 'Sigmoid';
  }
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class Tanh extends Activation {
  get typeName(): string {
    return 'Tanh';
  }
  forward(x: Tensor): Tensor {
    return tanh(x);
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
}

export class LogSoftmax extends Softmax {
  override get typeName(): string {
    return 'LogSoftmax';
  }
  override forward(x: Tensor): Tensor {
    return logSoftmax(x, this.axis);
  }
}
