import { type Engine, maxPool2d, nn, relu, type Tensor } from '@lowrank/core';

/**
 * LeNet-5 for 28x28 single-channel images, as the reference model in
 * shared/models: conv 6@5x5 pad 2, max-pool 2, conv 16@5x5, max-pool 2, fc 120, 84,
 * classes. Parameter names match the PyTorch state dict (conv1.weight, ...).
 */
export class LeNet5 extends nn.Module {
  constructor(
    engine: Engine,
    readonly classes = 10,
  ) {
    super(engine);
    this.registerModule('conv1', new nn.Conv2d(engine, 1, 6, 5, { padding: 2 }));
    this.registerModule('conv2', new nn.Conv2d(engine, 6, 16, 5));
    this.registerModule('fc1', new nn.Linear(engine, 16 * 5 * 5, 120));
    this.registerModule('fc2', new nn.Linear(engine, 120, 84));
    this.registerModule('fc3', new nn.Linear(engine, 84, classes));
  }

  get typeName(): string {
    return 'LeNet5';
  }
  config() {
    return { classes: this.classes };
  }

  forward(x: Tensor): Tensor {
    return this.engine.tidy(() => {
      // Children are looked up by name so that a compressed model's replacements run.
      const child = (name: string) => this.getModule(name);
      let h = maxPool2d(relu(child('conv1').call(x)), 2);
      h = maxPool2d(relu(child('conv2').call(h)), 2);
      h = h.flatten(1);
      h = relu(child('fc1').call(h));
      h = relu(child('fc2').call(h));
      return child('fc3').call(h);
    });
  }

  /** `forward` as ONNX; children are written by name, so a compressed model's replacements are. */
  override toOnnx(g: nn.OnnxEmitter, input: string): string {
    const pool = (x: string) =>
      g.node('MaxPool', [x], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } });
    let h = pool(g.node('Relu', [g.child('conv1', input)]));
    h = pool(g.node('Relu', [g.child('conv2', h)]));
    h = g.node('Flatten', [h], { axis: { int: 1 } });
    h = g.node('Relu', [g.child('fc1', h)]);
    h = g.node('Relu', [g.child('fc2', h)]);
    return g.child('fc3', h);
  }
}
