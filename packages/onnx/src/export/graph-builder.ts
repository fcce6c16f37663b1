import type { nn, Tensor } from '@lowrank/core';
import { type AttributeProto, AttributeType, type NodeProto, type TensorProto } from '../proto/messages.js';
import { floatTensor, int64Tensor } from '../proto/tensor-data.js';

/** An initializer whose values are read once the graph is complete (reading is async). */
interface PendingInitializer {
  name: string;
  /** A view on the exported tensor that the builder owns and disposes. */
  tensor: Tensor;
}

/**
 * The graph being written: nodes in order, initializers, and the names already taken
 * (ONNX values share one namespace, node names must be unique).
 */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly ready: TensorProto[] = [];
  private readonly pending: PendingInitializer[] = [];
  private readonly values = new Set<string>();
  private readonly nodeNames = new Set<string>();
  /** Which tensor or int64 list each initializer name holds, to reuse a name for the same value. */
  private readonly initializerSources = new Map<string, Tensor | string>();

  constructor(
    readonly dtype: 'float32',
    inputName: string,
  ) {
    this.values.add(inputName);
  }

  has(value: string): boolean {
    return this.values.has(value);
  }

  /** A float (or integer) tensor as an initializer; the same tensor under the same name is written once. */
  tensor(name: string, value: Tensor): string {
    if (this.initializerSources.get(name) === value) return name;
    const unique = this.uniqueValue(name);
    this.initializerSources.set(unique, value);
    // A view (no copy) kept past the exporter's tidy scope; disposed after it is read.
    this.pending.push({ name: unique, tensor: value.reshape(value.shape).keep() });
    return unique;
  }

  int64s(name: string, values: readonly number[]): string {
    const key = JSON.stringify(values);
    if (this.initializerSources.get(name) === key) return name;
    const unique = this.uniqueValue(name);
    this.initializerSources.set(unique, key);
    this.ready.push(int64Tensor(unique, values));
    return unique;
  }

  node(
    baseName: string,
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, nn.OnnxAttributeValue>>,
  ): string {
    let name = baseName;
    for (let i = 1; this.nodeNames.has(name); i++) name = `${baseName}_${i}`;
    this.nodeNames.add(name);
    const output = this.uniqueValue(`${name}_output_0`);
    this.nodes.push({
      name,
      opType,
      domain: '',
      input: [...inputs],
      output: [output],
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return output;
  }

  /** Reads the pending initializers' values (float64 written as float32) and frees the views. */
  async initializers(): Promise<TensorProto[]> {
    const out = [...this.ready];
    try {
      for (const { name, tensor } of this.pending) {
        const data = await tensor.data();
        if (data instanceof Float32Array || data instanceof Float64Array) {
          out.push(floatTensor(name, tensor.shape, data, this.dtype));
        } else {
          out.push(int64Tensor(name, Array.from(data), tensor.shape));
        }
      }
    } finally {
      this.dispose();
    }
    return out;
  }

  /** Frees the views of pending initializers (also on failure). */
  dispose(): void {
    for (const { tensor } of this.pending) tensor.dispose();
  }

  private uniqueValue(base: string): string {
    let name = base;
    for (let i = 1; this.values.has(name); i++) name = `${base}_${i}`;
    this.values.add(name);
    return name;
  }
}

function attribute(name: string, value: nn.OnnxAttributeValue): AttributeProto {
  const a: AttributeProto = { name, type: 0, floats: [], ints: [], hasGraph: false };
  if ('int' in value) {
    a.type = AttributeType.int;
    a.i = value.int;
  } else if ('ints' in value) {
    a.type = AttributeType.ints;
    a.ints = [...value.ints];
  } else if ('float' in value) {
    a.type = AttributeType.float;
    a.f = value.float;
  } else if ('floats' in value) {
    a.type = AttributeType.floats;
    a.floats = [...value.floats];
  } else {
    a.type = AttributeType.string;
    a.s = new TextEncoder().encode(value.string);
  }
  return a;
}
