import { type Engine, nn, type Tensor, transpose } from '@lowrank/core';
import type { GraphSpec, NodeSpec, OpNodeSpec } from './graph-spec.js';
import { memberName } from './module-paths.js';
import { OPS } from './ops.js';
import { IntValue, type Value } from './values.js';

/**
 * A plain container of imported layers (`layer1` holding `c1`, `c2`), so the graph's
 * state-dict names are PyTorch's. The OnnxGraph runs its children; it has no forward.
 */
export class OnnxContainer extends nn.Module {
  constructor(engine: Engine, children: readonly (readonly [string, nn.Module])[] = []) {
    super(engine);
    for (const [name, child] of children) this.registerModule(name, child);
  }
  get typeName(): string {
    return 'OnnxContainer';
  }
  config() {
    return {};
  }
  forward(): Tensor {
    throw new Error(
      'OnnxContainer: this module only groups layers of an imported ONNX graph; call the OnnxGraph that holds it',
    );
  }
}

/**
 * An imported ONNX graph as a module. Conv, Gemm, MatMul and BatchNormalization nodes with
 * constant weights are child modules (nn.Conv2d, nn.Linear, nn.BatchNorm2d) at PyTorch's
 * paths, looked up on every call, so compression can replace them; every other node runs
 * with core ops. `config()` is the graph without weights, so saveModule/loadModule work
 * (with this package's `moduleBuilders`), and `toOnnx` writes the graph back, replaced
 * layers included.
 */
export class OnnxGraph extends nn.Module {
  private readonly constants = new Map<string, Tensor>();

  constructor(
    engine: Engine,
    readonly spec: GraphSpec,
    children: readonly (readonly [string, nn.Module])[],
  ) {
    super(engine);
    for (const [name, child] of children) this.registerModule(name, child);
    for (const [value, { buffer, dims }] of Object.entries(spec.floats)) {
      this.constants.set(value, this.registerBuffer(buffer, engine.zeros(dims, spec.dtype)));
    }
  }

  get typeName(): string {
    return 'OnnxGraph';
  }

  config(): GraphSpec & Record<string, unknown> {
    return { ...this.spec };
  }

  /** One sample's input shape (without the batch axis), when the graph fixes every dimension. */
  get inputShape(): number[] | undefined {
    const dims = this.spec.inputShape;
    return dims.every((d): d is number => d !== null) ? dims : undefined;
  }

  /** The float constant a value name refers to (after loadModule, the loaded buffer). */
  constant(value: string): Tensor | undefined {
    return this.constants.get(value);
  }

  forward(x: Tensor): Tensor {
    const spec = this.spec;
    return this.engine.tidy(() => {
      const values = new Map<string, Value>();
      values.set(spec.inputName, x.dtype === spec.dtype ? x : x.cast(spec.dtype));
      for (const [name, c] of Object.entries(spec.ints)) values.set(name, new IntValue(c.dims, c.values));
      for (const [name, t] of this.constants) values.set(name, t);
      const get = (name: string, node: NodeSpec): Value => {
        const v = values.get(name);
        if (v === undefined)
          throw new Error(
            `OnnxGraph: node '${node.name}' (${node.opType}) reads '${name}', which nothing computed`,
          );
        return v;
      };
      for (const node of spec.nodes) values.set(node.output, this.runNode(node, get));
      const out = values.get(spec.outputName);
      if (!out || out instanceof IntValue) {
        throw new Error(
          `OnnxGraph: the output '${spec.outputName}' is ${out ? 'an integer tensor' : 'not computed'}`,
        );
      }
      return out === x ? x.reshape(x.shape) : out;
    });
  }

  private runNode(node: NodeSpec, get: (name: string, node: NodeSpec) => Value): Value {
    const where = `Node '${node.name}' (${node.opType})`;
    if (node.kind === 'layer') {
      const input = get(node.input, node);
      if (input instanceof IntValue) throw new Error(`${where}: its input is an integer tensor`);
      const x = node.transposeInput ? transpose(input, [1, 0]) : input;
      return this.getModule(node.module).call(x);
    }
    const kernel = OPS[node.opType];
    if (!kernel) throw new Error(`${where}: unsupported op`);
    return kernel(
      {
        engine: this.engine,
        dtype: this.spec.dtype,
        opset: this.spec.opset,
        where,
        attributes: node.attributes,
      },
      node.inputs.map((name) => (name === '' ? undefined : get(name, node))),
    );
  }

  override toOnnx(g: nn.OnnxEmitter, input: string): string {
    const spec = this.spec;
    const names = new Map<string, string>([[spec.inputName, input]]);
    const resolve = (name: string): string => {
      if (name === '') return '';
      const known = names.get(name);
      if (known !== undefined) return known;
      const float = this.constants.get(name);
      const int = spec.ints[name];
      let emitted: string;
      if (float) {
        emitted = g.initializer(spec.floats[name].buffer, float);
      } else if (int) {
        emitted = g.int64s(memberName(name), int.values);
        // The emitter writes 1-d int64 tensors; give scalars and matrices their shape back.
        if (int.dims.length !== 1)
          emitted = g.node('Reshape', [emitted, g.int64s(`${memberName(name)}_shape`, int.dims)]);
      } else {
        throw new Error(`OnnxGraph: '${name}' is used before it is computed`);
      }
      names.set(name, emitted);
      return emitted;
    };
    for (const node of spec.nodes) {
      if (node.kind === 'layer') {
        const x = resolve(node.input);
        const h = node.transposeInput ? g.node('Transpose', [x], { perm: { ints: [1, 0] } }) : x;
        names.set(node.output, g.child(node.module, h));
      } else {
        names.set(node.output, this.emitOp(g, node, node.inputs.map(resolve)));
      }
    }
    return resolve(spec.outputName);
  }

  /** Writes an operator node in its opset-13 form (the exporter's), whatever opset it came from. */
  private emitOp(g: nn.OnnxEmitter, node: OpNodeSpec, inputs: string[]): string {
    const { axes, min, max } = node.attributes;
    const opset = this.spec.opset;
    const constantName = (suffix: string) => `${memberName(node.output)}_${suffix}`;
    switch (node.opType) {
      case 'Dropout':
        // Inference semantics; also avoids Dropout's ratio moving from attribute to input.
        return g.node('Identity', [inputs[0]]);
      case 'Unsqueeze':
      case 'Squeeze':
        // Opset 13 moved `axes` from an attribute to an input.
        if (axes && 'ints' in axes)
          return g.node(node.opType, [inputs[0], g.int64s(constantName('axes'), axes.ints)]);
        break;
      case 'Clip':
        // Opset 11 moved the bounds from attributes to inputs.
        if (opset < 11) {
          const bound = (a: nn.OnnxAttributeValue | undefined, suffix: string) =>
            a && 'float' in a
              ? g.initializer(constantName(suffix), this.engine.scalar(a.float, this.spec.dtype))
              : '';
          const bounds = [bound(min, 'min'), bound(max, 'max')];
          while (bounds.at(-1) === '') bounds.pop();
          return g.node('Clip', [inputs[0], ...bounds]);
        }
        break;
      case 'Softmax':
      case 'LogSoftmax':
        // Before opset 13 only a last-axis softmax is imported, which is this at opset 13.
        if (opset < 13) return g.node(node.opType, inputs, { axis: { int: -1 } });
        break;
      case 'Shape':
        if (node.attributes.start || node.attributes.end) {
          throw new Error(
            `OnnxGraph: node '${node.name}' (Shape) has start/end attributes, which opset 13 lacks`,
          );
        }
        break;
    }
    return g.node(node.opType, inputs, node.attributes);
  }
}
