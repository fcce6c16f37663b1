import type { Engine } from '../engine.js';
import { Module, type ModuleConfig } from '../nn/module.js';
import type { OnnxEmitter } from '../nn/onnx-export.js';
import type { Tensor } from '../tensor.js';

/** `config` with each array field copied, so neither the caller nor a reader of `config()` shares them. */
function copyConfig<C extends ModuleConfig>(config: C): C {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key, Array.isArray(value) ? [...value] : value]),
  ) as C;
}

/**
 * The common part of the layers decomposition plugins build: the constructor arguments kept
 * as `settings` and returned by `config()` (what `save` writes and the plugin's module
 * builder reads back), each a copy so neither side can change the other's arrays.
 */
export abstract class FactorizedLayer<C extends ModuleConfig> extends Module {
  readonly settings: Readonly<C>;

  constructor(engine: Engine, config: C) {
    super(engine);
    this.settings = copyConfig(config);
  }

  config(): C {
    return copyConfig(this.settings as C);
  }
}

/**
 * A factorized layer that runs its child layers one after the other in the order they were
 * registered (SVD's two layers, Tucker2's and TT's three, CP's four), in `forward` and in
 * ONNX, where each child is its own node so the exported file keeps the factors. Children
 * are looked up by name at each call, so a replaced child is the one used.
 */
export abstract class FactorizedChain<C extends ModuleConfig> extends FactorizedLayer<C> {
  forward(x: Tensor): Tensor {
    const chain = this.namedChildren().map(([, m]) => m);
    return this.engine.tidy(() => chain.reduce((h, m) => m.call(h), x));
  }

  override toOnnx(g: OnnxEmitter, input: string): string {
    return this.namedChildren().reduce((h, [name]) => g.child(name, h), input);
  }
}
