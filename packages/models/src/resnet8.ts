import { add, type Engine, nn, relu, type Tensor } from '@lowrank/core';

/**
 * The basic residual block of the reference ResNet-8: two 3x3 convs with batch
 * norm, and a 1x1 conv + batch norm shortcut when the shape changes. Children are
 * named c1, b1, c2, b2, short (PyTorch's names).
 */
export class BasicBlock extends nn.Module {
  constructor(
    engine: Engine,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly stride = 1,
  ) {
    super(engine);
    this.registerModule(
      'c1',
      new nn.Conv2d(engine, inChannels, outChannels, 3, { stride, padding: 1, bias: false }),
    );
    this.registerModule('b1', new nn.BatchNorm2d(engine, outChannels));
    this.registerModule(
      'c2',
      new nn.Conv2d(engine, outChannels, outChannels, 3, { padding: 1, bias: false }),
    );
    this.registerModule('b2', new nn.BatchNorm2d(engine, outChannels));
    if (stride !== 1 || inChannels !== outChannels) {
      this.registerModule(
        'short',
        new nn.Sequential(engine, [
          new nn.Conv2d(engine, inChannels, outChannels, 1, { stride, bias: false }),
          new nn.BatchNorm2d(engine, outChannels),
        ]),
      );
    }
  }

  get typeName(): string {
    return 'BasicBlock';
  }
  config() {
    return { inChannels: this.inChannels, outChannels: this.outChannels, stride: this.stride };
  }

  forward(x: Tensor): Tensor {
    const m = new Map(this.namedChildren());
    // Looked up per call so that a compressed model's replacements run.
    return this.engine.tidy(() => {
      const h = m.get('b1')!.call(m.get('c1')!.call(x));
      const main = m.get('b2')!.call(m.get('c2')!.call(relu(h)));
      const skip = m.get('short')?.call(x) ?? x;
      return relu(add(main, skip));
    });
  }

  /** `forward` as ONNX: the residual sum is an Add node, the identity shortcut the input itself. */
  override toOnnx(g: nn.OnnxEmitter, input: string): string {
    const h = g.node('Relu', [g.child('b1', g.child('c1', input))]);
    const main = g.child('b2', g.child('c2', h));
    const skip = this.namedChildren().some(([name]) => name === 'short') ? g.child('short', input) : input;
    return g.node('Relu', [g.node('Add', [main, skip])]);
  }
}

/**
 * ResNet-8 of shared/models: stem conv 16 + BN + ReLU, blocks 16->16, 16->32 (stride
 * 2), 32->64 (stride 2), global average pool, fc to the classes.
 */
export class ResNet8 extends nn.Module {
  constructor(
    engine: Engine,
    readonly classes = 10,
  ) {
    super(engine);
    this.registerModule(
      'stem',
      new nn.Sequential(engine, [
        new nn.Conv2d(engine, 1, 16, 3, { padding: 1, bias: false }),
        new nn.BatchNorm2d(engine, 16),
        new nn.ReLU(engine),
      ]),
    );
    this.registerModule('layer1', new BasicBlock(engine, 16, 16, 1));
    this.registerModule('layer2', new BasicBlock(engine, 16, 32, 2));
    this.registerModule('layer3', new BasicBlock(engine, 32, 64, 2));
    this.registerModule('pool', new nn.AdaptiveAvgPool2d(engine, 1));
    this.registerModule('flatten', new nn.Flatten(engine));
    this.registerModule('fc', new nn.Linear(engine, 64, classes));
  }

  get typeName(): string {
    return 'ResNet8';
  }
  config() {
    return { classes: this.classes };
  }

  forward(x: Tensor): Tensor {
    return this.engine.tidy(() => this.namedChildren().reduce((h, [, m]) => m.call(h), x));
  }

  /** The children in order, each written by name (so a compressed model's replacements are). */
  override toOnnx(g: nn.OnnxEmitter, input: string): string {
    return this.namedChildren().reduce((h, [name]) => g.child(name, h), input);
  }
}
