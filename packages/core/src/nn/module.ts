import type { Engine } from '../engine.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import type { OnnxEmitter } from './onnx-export.js';

/** JSON-able constructor arguments of a module. */
export type ModuleConfig = Record<string, unknown>;

/** The JSON description of a module tree saved beside its weights. */
export interface ModuleDescription {
  type: string;
  config: ModuleConfig;
  children?: Record<string, ModuleDescription>;
}

export type ForwardHook = (module: Module, inputs: readonly Tensor[], output: Tensor) => void;

/**
 * A layer or a network: named parameters (trainable leaves), named buffers
 * (running statistics), child modules, and train/eval mode. Subclasses implement
 * `forward`; callers use `call`, which also runs forward hooks (for calibration).
 */
export abstract class Module {
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();
  private readonly hooks = new Set<ForwardHook>();

  constructor(readonly engine: Engine) {}

  /** The type name used in saved descriptions; a registered builder must exist for it to be rebuilt. */
  abstract get typeName(): string;
  /** JSON-able constructor arguments, enough to rebuild the module (without weights). */
  abstract config(): ModuleConfig;
  abstract forward(...inputs: Tensor[]): Tensor;
  /**
   * Writes the module into an ONNX graph as standard operators on the value named `input`
   * and returns the name of its output (single-input modules only). Optional: a module
   * without it cannot be exported, and `@lowrank/onnx` says which one.
   */
  toOnnx?(g: OnnxEmitter, input: string): string;

  /** Runs `forward` and then the forward hooks. */
  call(...inputs: Tensor[]): Tensor {
    const output = this.forward(...inputs);
    for (const hook of this.hooks) hook(this, inputs, output);
    return output;
  }

  /** Adds a hook called after every `call`; returns a function that removes it. */
  addForwardHook(hook: ForwardHook): () => void {
    this.hooks.add(hook);
    return () => this.hooks.delete(hook);
  }

  protected registerParameter(name: string, t: Tensor): Tensor {
    checkName(name, this);
    t.keep().requireGrad();
    this.params.set(name, t);
    return t;
  }

  protected registerBuffer(name: string, t: Tensor): Tensor {
    checkName(name, this);
    t.keep();
    this.buffers.set(name, t);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    checkName(name, this);
    this.children.set(name, m);
    return m;
  }

  /** Replaces a child module (how compression swaps a dense layer for a factorized one). */
  replaceModule(name: string, m: Module): void {
    if (!this.children.has(name)) {
      throw new Error(
        `${this.typeName}: no child module '${name}' (children: ${[...this.children.keys()].join(', ')})`,
      );
    }
    this.children.set(name, m);
  }

  /** The module at a dotted path below this one ('' for this one); an error lists the children when absent. */
  getModule(path: string): Module {
    let m: Module = this;
    for (const part of path ? path.split('.') : []) {
      const next = m.children.get(part);
      if (!next) {
        throw new Error(
          `${this.typeName}: no module '${path}' ('${part}' is not among ${[...m.children.keys()].join(', ') || 'no children'})`,
        );
      }
      m = next;
    }
    return m;
  }

  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  /** Every module in the tree with its dotted path ('' for this one), parents first. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.children) out.push(...child.namedModules(join(prefix, name)));
    return out;
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [...this.params].map(([n, t]) => [join(prefix, n), t]);
    for (const [name, child] of this.children) out.push(...child.namedParameters(join(prefix, name)));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [...this.buffers].map(([n, t]) => [join(prefix, n), t]);
    for (const [name, child] of this.children) out.push(...child.namedBuffers(join(prefix, name)));
    return out;
  }

  /**
   * Parameters and buffers by dotted name, as PyTorch's state_dict and in its order: each
   * module's parameters, then its buffers, then its children's entries.
   */
  stateDict(): Map<string, Tensor> {
    return new Map(this.namedState(''));
  }

  private namedState(prefix: string): [string, Tensor][] {
    const out: [string, Tensor][] = [...this.params, ...this.buffers].map(([n, t]) => [join(prefix, n), t]);
    for (const [name, child] of this.children) out.push(...child.namedState(join(prefix, name)));
    return out;
  }

  /**
   * Copies values into the parameters and buffers by name. With `strict` (the
   * default) every entry must match one of them exactly, and every one must be given.
   */
  loadStateDict(state: ReadonlyMap<string, Tensor>, options: { strict?: boolean } = {}): void {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    if (strict) {
      const missing = [...own.keys()].filter((k) => !state.has(k));
      const unexpected = [...state.keys()].filter((k) => !own.has(k));
      if (missing.length || unexpected.length) {
        throw new Error(
          `loadStateDict: ${missing.length ? `missing ${missing.join(', ')}` : ''}${missing.length && unexpected.length ? '; ' : ''}${unexpected.length ? `unexpected ${unexpected.join(', ')}` : ''}`,
        );
      }
    }
    // Check everything before changing anything, so that a failure leaves the module as it was.
    const pairs: [Tensor, Tensor][] = [];
    for (const [name, target] of own) {
      const value = state.get(name);
      if (!value) continue;
      if (value.isDisposed) throw new Error(`loadStateDict: '${name}' was disposed`);
      if (
        value.size !== target.size ||
        value.rank !== target.rank ||
        value.shape.some((d, i) => d !== target.shape[i])
      ) {
        throw new RangeError(
          `loadStateDict: '${name}' has shape ${formatShape(value.shape)}, expected ${formatShape(target.shape)}`,
        );
      }
      pairs.push([target, value]);
    }
    this.engine.noGrad(() => {
      for (const [target, value] of pairs) {
        const converted = value.dtype === target.dtype ? value : value.cast(target.dtype);
        target.assign(converted);
        if (converted !== value) converted.dispose();
      }
    });
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  numParameters(): number {
    return this.parameters().reduce((s, t) => s + t.size, 0);
  }

  /** The module tree as JSON: types and constructor arguments, no weights. */
  describe(): ModuleDescription {
    const d: ModuleDescription = { type: this.typeName, config: this.config() };
    if (this.children.size > 0) {
      d.children = Object.fromEntries([...this.children].map(([n, m]) => [n, m.describe()]));
    }
    return d;
  }

  /** Frees every parameter and buffer of the tree. */
  dispose(): void {
    for (const [, t] of this.stateDict()) t.dispose();
  }
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

function checkName(name: string, m: Module): void {
  if (!/^[A-Za-z0-9_]+$/.test(name))
    throw new Error(`${m.constructor.name}: invalid member name '${name}' (letters, digits, _)`);
}
