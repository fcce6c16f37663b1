import type { nn, Tensor } from '@lowrank/core';
import type { GraphBuilder } from './graph-builder.js';

/**
 * The `nn.OnnxEmitter` a module writes itself through: names its initializers by its
 * state-dict path and its nodes by its module path (`/layer1/c1/Conv`), and descends to
 * its children with `child`.
 */
export class ModuleEmitter implements nn.OnnxEmitter {
  constructor(
    private readonly builder: GraphBuilder,
    private readonly module: nn.Module,
    readonly path: string,
    private readonly traced: ReadonlyMap<nn.Module, readonly number[]>,
  ) {}

  get inputShape(): readonly number[] | undefined {
    return this.traced.get(this.module);
  }

  /** Writes the child `name` (or a module at a dotted path below this one) on `input`. */
  child(name: string, input: string): string {
    let child: nn.Module;
    try {
      child = this.module.getModule(name);
    } catch (e) {
      throw new Error(
        `exportOnnx: ${this.describe()} wrote a child it does not have: ${(e as Error).message}`,
      );
    }
    return emitModule(this.builder, child, this.path ? `${this.path}.${name}` : name, input, this.traced);
  }

  initializer(name: string, value: Tensor): string {
    return this.builder.tensor(this.qualified(name), value);
  }

  int64s(name: string, values: readonly number[]): string {
    if (!values.every(Number.isSafeInteger)) {
      throw new Error(
        `exportOnnx: ${this.describe()} passed non-integer values [${values}] as int64s '${name}'`,
      );
    }
    return this.builder.int64s(this.qualified(name), values);
  }

  node(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, nn.OnnxAttributeValue>> = {},
  ): string {
    const unknown = inputs.filter((v) => v !== '' && !this.builder.has(v));
    if (unknown.length > 0) {
      throw new Error(
        `exportOnnx: ${this.describe()} wrote a ${opType} node on unknown value(s) ${unknown.join(', ')}; inputs must be the given input, initializers, or outputs of earlier nodes`,
      );
    }
    const base = `/${this.path.split('.').filter(Boolean).join('/')}${this.path ? '/' : ''}${opType}`;
    return this.builder.node(base, opType, inputs, attributes);
  }

  private qualified(name: string): string {
    return this.path ? `${this.path}.${name}` : name;
  }

  private describe(): string {
    return `module '${this.path || '(root)'}' (${this.module.typeName})`;
  }
}

/** Writes one module (and, through its `toOnnx`, its children) on `input`. */
export function emitModule(
  builder: GraphBuilder,
  module: nn.Module,
  path: string,
  input: string,
  traced: ReadonlyMap<nn.Module, readonly number[]>,
): string {
  if (!module.toOnnx) {
    throw new Error(
      `exportOnnx: module '${path || '(root)'}' (${module.typeName}) has no ONNX export: its class does not implement toOnnx(g, input); add one that writes it as standard ONNX operators`,
    );
  }
  return module.toOnnx(new ModuleEmitter(builder, module, path, traced), input);
}
