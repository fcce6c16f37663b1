import type { Engine } from '../engine.js';
import { add } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';
import type { OnnxEmitter } from './onnx-export.js';

/** Runs its children in order; children are named '0', '1', ... (PyTorch's state-dict names). */
export class Sequential extends Module {
  constructor(engine: Engine, layers: readonly Module[] = []) {
    super(engine);
    for (const [i, layer] of layers.entries()) this.registerModule(String(i), layer);
  }
  get typeName(): string {
    return 'Sequential';
  }
  config() {
    return {};
  }
  /** The children in order. */
  get layers(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }
  forward(x: Tensor): Tensor {
    const layers = this.layers;
    if (layers.length === 0) return x.reshape(x.shape);
    return this.engine.tidy(() => layers.reduce((h, layer) => layer.call(h), x));
  }
  override toOnnx(g: OnnxEmitter, input: string): string {
    const names = this.namedChildren().map(([name]) => name);
    if (names.length === 0) return g.node('Identity', [input]);
    return names.reduce((h, name) => g.child(name, h), input);
  }
}

/** Passes its input through unchanged. */
export class Identity extends Module {
  get typeName(): string {
    return 'Identity';
  }
  config() {
    return {};
  }
  forward(x: Tensor): Tensor {
    return x.reshape(x.shape);
  }
  override toOnnx(g: OnnxEmitter, input: string): string {
    return g.node('Identity', [input]);
  }
}

/**
 * A residual block: `after(main(x) + shortcut(x))`, with `shortcut` the identity
 * when absent and `after` (an activation, say) optional.
 */
export class Residual extends Module {
  readonly main: Module;
  readonly shortcut: Module | null;
  readonly after: Module | null;

  constructor(
    engine: Engine,
    main: Module,
    options: { shortcut?: Module | null; after?: Module | null } = {},
  ) {
    super(engine);
    this.main = this.registerModule('main', main);
    this.shortcut = options.shortcut ? this.registerModule('shortcut', options.shortcut) : null;
    this.after = options.after ? this.registerModule('after', options.after) : null;
  }
  get typeName(): string {
    return 'Residual';
  }
  config() {
    return {};
  }
  forward(x: Tensor): Tensor {
    return this.engine.tidy(() => {
      const skip = this.shortcut ? this.shortcut.call(x) : x;
      const sum = add(this.main.call(x), skip);
      return this.after ? this.after.call(sum) : sum;
    });
  }
  override toOnnx(g: OnnxEmitter, input: string): string {
    const main = g.child('main', input);
    const sum = g.node('Add', [main, this.shortcut ? g.child('shortcut', input) : input]);
    return this.after ? g.child('after', sum) : sum;
  }
}
