import { type Engine, nn, type Tensor } from '@lowrank/core';
import { decodeModel } from '../proto/decode.js';
import {
  type AttributeProto,
  AttributeType,
  DataType,
  type GraphProto,
  type NodeProto,
  type TensorProto,
} from '../proto/messages.js';
import { dataTypeName, tensorValues } from '../proto/tensor-data.js';
import type { GraphSpec, NodeSpec } from './graph-spec.js';
import { layerPath, memberName, PathAllocator } from './module-paths.js';
import { OnnxContainer, OnnxGraph } from './onnx-graph.js';
import { LAYER_OPS, OPS, type OpContext, supportedOps, windowAttributes } from './ops.js';
import { IntValue, type Value } from './values.js';

export interface ImportOnnxOptions {
  /** The dtype of the imported weights and of the computation (default float32). */
  dtype?: 'float32' | 'float64';
}

/** Input element types OnnxGraph accepts (undefined: the file does not say). */
const FLOAT_INPUTS: readonly number[] = [
  DataType.undefined,
  DataType.float,
  DataType.double,
  DataType.float16,
];

/** Default-domain opsets whose operator semantics the op table follows. */
const OPSETS = { min: 9, max: 21 };

/**
 * Reads an ONNX model into an `OnnxGraph` module. Layers with constant weights become child
 * modules named as in PyTorch's state dict (see `OnnxGraph`); nodes whose inputs are all
 * constant are computed once here. Errors name the node or initializer at fault: an
 * unsupported op (with the supported list), weights computed by the graph, external data,
 * unsupported data types, NaN or infinite weights.
 */
export function importOnnx(engine: Engine, bytes: Uint8Array, options: ImportOnnxOptions = {}): OnnxGraph {
  const dtype = options.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new Error(`importOnnx: dtype must be 'float32' or 'float64', got '${String(dtype)}'`);
  }
  const model = decodeModel(bytes);
  const opset = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version;
  if (opset === undefined || opset < OPSETS.min || opset > OPSETS.max) {
    throw new Error(
      `importOnnx: the model uses opset ${opset ?? '(none)'} of the default domain; opsets ${OPSETS.min} to ${OPSETS.max} are supported (convert it with onnx.version_converter)`,
    );
  }
  let graph: OnnxGraph | undefined;
  engine.noGrad(() =>
    engine.tidy(() => {
      graph = new GraphImporter(engine, dtype, opset).run(model.graph);
    }),
  );
  return graph as OnnxGraph;
}

interface LayerBuild {
  path: string[];
  module: nn.Module;
}

class GraphImporter {
  /** Constant values by name: float tensors (freed by the caller's tidy) and host integers. */
  private readonly constants = new Map<string, Value>();
  private readonly initializers = new Map<string, TensorProto>();
  private readonly paths = new PathAllocator();
  private readonly layers: LayerBuild[] = [];
  private readonly nodes: NodeSpec[] = [];

  constructor(
    private readonly engine: Engine,
    private readonly dtype: 'float32' | 'float64',
    private readonly opset: number,
  ) {}

  run(g: GraphProto): OnnxGraph {
    for (const t of g.initializer) this.initializers.set(t.name, t);
    const inputs = g.input.filter((v) => !this.initializers.has(v.name));
    if (inputs.length !== 1) {
      throw new Error(
        `importOnnx: the graph has ${inputs.length} inputs (${inputs.map((v) => v.name).join(', ') || 'none'}); OnnxGraph runs graphs with exactly one`,
      );
    }
    if (g.output.length !== 1) {
      throw new Error(
        `importOnnx: the graph has ${g.output.length} outputs (${g.output.map((v) => v.name).join(', ')}); OnnxGraph runs graphs with exactly one`,
      );
    }
    const input = inputs[0];
    const elemType = input.tensorType?.elemType ?? DataType.undefined;
    if (!FLOAT_INPUTS.includes(elemType)) {
      throw new Error(
        `importOnnx: the graph input '${input.name}' holds ${dataTypeName(elemType)} values; OnnxGraph takes float inputs`,
      );
    }
    const dims = input.tensorType?.shape ?? [];
    const uses = this.countUses(g.node, g.output[0].name);
    for (const [index, node] of g.node.entries()) this.importNode(node, index, uses);

    const spec: GraphSpec = {
      inputName: input.name,
      inputShape: dims.slice(1).map((d) => d.value ?? null),
      outputName: g.output[0].name,
      outputShape: g.output[0].tensorType?.shape?.slice(1).map((d) => d.value ?? null) ?? null,
      opset: this.opset,
      dtype: this.dtype,
      nodes: this.nodes,
      ints: {},
      floats: {},
    };
    const buffers = new Map<string, Tensor>();
    const taken = new Set<string>();
    const referenced = this.nodes.flatMap((n) => (n.kind === 'layer' ? [n.input] : n.inputs));
    for (const name of [...referenced, spec.outputName]) {
      const c = this.known(name);
      if (c === undefined || spec.ints[name] || spec.floats[name]) continue;
      if (c instanceof IntValue) {
        spec.ints[name] = { dims: [...c.dims], values: [...c.values] };
      } else {
        let buffer = memberName(name);
        for (let i = 1; taken.has(buffer); i++) buffer = `${memberName(name)}_${i}`;
        taken.add(buffer);
        spec.floats[name] = { buffer, dims: [...c.shape] };
        buffers.set(buffer, c);
      }
    }
    if (!this.nodes.some((n) => n.output === spec.outputName) && spec.outputName !== spec.inputName) {
      throw new Error(
        `importOnnx: the graph output '${spec.outputName}' is a constant, not computed from the input`,
      );
    }
    const graph = new OnnxGraph(this.engine, spec, this.tree());
    const state = graph.stateDict();
    for (const [buffer, value] of buffers) state.get(buffer)?.copyFrom(value);
    return graph;
  }

  /** How many nodes (and graph outputs) read each value. */
  private countUses(nodes: readonly NodeProto[], output: string): Map<string, number> {
    const uses = new Map<string, number>([[output, 1]]);
    for (const n of nodes) for (const v of n.input) uses.set(v, (uses.get(v) ?? 0) + 1);
    return uses;
  }

  private importNode(node: NodeProto, index: number, uses: ReadonlyMap<string, number>): void {
    const where = `importOnnx: node '${node.name || `#${index}`}' (${node.opType})`;
    if (node.domain !== '' && node.domain !== 'ai.onnx') {
      throw new Error(
        `${where}: operators of domain '${node.domain}' are not supported (only the default ONNX domain)`,
      );
    }
    if (node.attribute.some((a) => a.hasGraph))
      throw new Error(`${where}: subgraphs (If, Loop, Scan) are not supported`);
    const extra = node.output.slice(1).filter((o) => o !== '' && (uses.get(o) ?? 0) > 0);
    if (extra.length > 0) {
      throw new Error(
        `${where}: the graph uses its extra output(s) ${extra.join(', ')}; only single-output use is supported`,
      );
    }
    const output = node.output[0];
    if (node.opType === 'Constant') {
      this.constants.set(output, this.constantNode(node, where));
      return;
    }
    const attributes = Object.fromEntries(node.attribute.map((a) => [a.name, this.attribute(a, where)]));
    if (this.importLayer(node, index, where, attributes)) return;
    if (node.opType === 'Add' && this.fuseBias(node, uses)) return;
    const kernel = OPS[node.opType];
    if (!kernel) {
      throw new Error(
        `${where}: op '${node.opType}' is not supported; supported ops: ${supportedOps().join(', ')}`,
      );
    }
    const given = node.input.filter((name) => name !== '');
    if (given.length > 0 && given.every((name) => this.known(name) !== undefined)) {
      // All inputs known now: compute it once (a Transpose of a weight, shape arithmetic).
      const inputs = node.input.map((name) => (name === '' ? undefined : this.known(name)));
      this.constants.set(output, kernel(this.context(where, attributes), inputs));
      return;
    }
    this.nodes.push({
      kind: 'op',
      name: node.name || `#${index}`,
      opType: node.opType,
      inputs: node.input,
      output,
      attributes,
    });
  }

  /** Conv/Gemm/MatMul/BatchNormalization with constant weights -> a child module; false otherwise. */
  private importLayer(
    node: NodeProto,
    index: number,
    where: string,
    attributes: Record<string, nn.OnnxAttributeValue>,
  ): boolean {
    if (!(LAYER_OPS as readonly string[]).includes(node.opType)) return false;
    const c = this.context(where, attributes);
    const [x, w, b, mean, variance] = node.input;
    const weight = w ? this.floatConstant(w) : undefined;
    const bias = b ? this.floatConstant(b) : undefined;
    let module: nn.Module | undefined;
    let transposeInput = false;
    switch (node.opType) {
      case 'Conv': {
        if (!weight || (b && !bias)) {
          throw new Error(
            `${where}: its weight or bias is computed by the graph; only constant (initializer) weights are supported`,
          );
        }
        module = this.conv(c, weight, bias, where);
        break;
      }
      case 'BatchNormalization': {
        const stats = [mean, variance].map((v) => (v ? this.floatConstant(v) : undefined));
        if (!weight || !bias || !stats[0] || !stats[1]) {
          throw new Error(
            `${where}: its scale, bias, mean or variance is computed by the graph; only constants are supported`,
          );
        }
        module = this.batchNorm(c, weight, bias, stats[0], stats[1]);
        break;
      }
      case 'MatMul':
        if (weight?.rank !== 2) return false;
        // MatMul's B is [in, out]; Linear keeps PyTorch's [out, in].
        module = this.linear(weight.transpose([1, 0]), undefined, false);
        break;
      case 'Gemm': {
        const bOk =
          b === undefined ||
          b === '' ||
          (bias !== undefined && bias.size === weight?.shape[int(attributes, 'transB') === 1 ? 0 : 1]);
        if (!weight || !bOk) return false;
        transposeInput = int(attributes, 'transA') === 1;
        const alpha = flt(attributes, 'alpha', 1);
        const beta = flt(attributes, 'beta', 1);
        const w2 = int(attributes, 'transB') === 1 ? weight : weight.transpose([1, 0]);
        module = this.linear(
          alpha === 1 ? w2 : w2.mul(alpha),
          bias && (beta === 1 ? bias : bias.mul(beta)),
          true,
        );
        break;
      }
    }
    if (!module) return false;
    const path = this.paths.allocate(layerPath(w ?? '', node.name, node.opType, index));
    this.layers.push({ path, module });
    this.nodes.push({
      kind: 'layer',
      name: node.name || `#${index}`,
      opType: node.opType as (typeof LAYER_OPS)[number],
      module: path.join('.'),
      input: x,
      output: node.output[0],
      ...(transposeInput ? { transposeInput } : {}),
    });
    return true;
  }

  /**
   * MatMul then Add of a constant vector (how PyTorch writes a Linear on inputs of rank > 2)
   * becomes one Linear with bias, so its state-dict names are `<path>.weight`, `<path>.bias`.
   */
  private fuseBias(node: NodeProto, uses: ReadonlyMap<string, number>): boolean {
    for (const [from, other] of [node.input, [...node.input].reverse()]) {
      const layerNode = this.nodes.find((n) => n.kind === 'layer' && n.output === from);
      if (layerNode?.kind !== 'layer' || layerNode.opType !== 'MatMul' || uses.get(from) !== 1) continue;
      const layer = this.layers.find((l) => l.path.join('.') === layerNode.module);
      const bias = this.floatConstant(other);
      if (!layer || !(layer.module instanceof nn.Linear) || layer.module.bias || !bias) continue;
      if (bias.size !== layer.module.outFeatures || bias.shape.slice(0, -1).some((d) => d !== 1)) continue;
      const unfused = layer.module;
      layer.module = this.linear(unfused.weight, bias, true);
      unfused.dispose();
      layerNode.output = node.output[0];
      return true;
    }
    return false;
  }

  private conv(c: OpContext, weight: Tensor, bias: Tensor | undefined, where: string): nn.Module {
    if (weight.rank !== 4)
      throw new Error(
        `${where}: only 2-d convolutions are supported, the weight has shape [${weight.shape}]`,
      );
    const kernel =
      c.attributes.kernel_shape && 'ints' in c.attributes.kernel_shape
        ? c.attributes.kernel_shape.ints
        : weight.shape.slice(2);
    const w = windowAttributes(c, kernel);
    const groups = int(c.attributes, 'group') ?? 1;
    const [out, inPerGroup, kh, kw] = weight.shape;
    const conv = new nn.Conv2d(this.engine, inPerGroup * groups, out, [kh, kw], {
      stride: w.stride,
      padding: w.padding,
      dilation: w.dilation,
      groups,
      bias: bias !== undefined,
      dtype: this.dtype,
    });
    conv.weight.copyFrom(weight);
    if (bias) conv.bias?.copyFrom(bias);
    return conv;
  }

  private linear(weight: Tensor, bias: Tensor | undefined, allowBias: boolean): nn.Module {
    const [out, inFeatures] = weight.shape;
    const linear = new nn.Linear(this.engine, inFeatures, out, {
      bias: allowBias && bias !== undefined,
      dtype: this.dtype,
    });
    linear.weight.copyFrom(weight);
    if (bias) linear.bias?.copyFrom(bias);
    return linear;
  }

  private batchNorm(c: OpContext, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor): nn.Module {
    if (int(c.attributes, 'training_mode') === 1)
      throw new Error(`${c.where}: training_mode=1 is not supported`);
    // ONNX's momentum weighs the running value, PyTorch's the new batch.
    const bn = new nn.BatchNorm2d(this.engine, scale.size, {
      eps: flt(c.attributes, 'epsilon', 1e-5),
      momentum: 1 - flt(c.attributes, 'momentum', 0.9),
    });
    bn.weight?.copyFrom(scale);
    bn.bias?.copyFrom(bias);
    bn.runningMean.copyFrom(mean);
    bn.runningVar.copyFrom(variance);
    return bn;
  }

  private context(where: string, attributes: Record<string, nn.OnnxAttributeValue>): OpContext {
    return { engine: this.engine, dtype: this.dtype, opset: this.opset, where, attributes };
  }

  /** A float constant (initializer, Constant, or folded) by name, or undefined when computed by the graph. */
  private floatConstant(name: string): Tensor | undefined {
    const v = this.known(name);
    return v instanceof IntValue ? undefined : v;
  }

  /** A value known at import time (an initializer, a Constant, a folded node); undefined when the graph computes it. */
  private known(name: string): Value | undefined {
    const known = this.constants.get(name);
    if (known !== undefined) return known;
    const t = this.initializers.get(name);
    if (t === undefined) return undefined;
    const v = this.fromTensorProto(t, `importOnnx: initializer '${name}'`);
    this.constants.set(name, v);
    return v;
  }

  private fromTensorProto(t: TensorProto, what: string): Value {
    const values = tensorValues(t, what);
    if (values.kind === 'int') return new IntValue(values.dims, values.data);
    const bad = values.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new Error(
        `${what}: value ${values.data[bad]} at flat index ${bad}; weights must be finite (retrain or fix the model)`,
      );
    }
    const data = this.dtype === 'float32' ? Float32Array.from(values.data) : Float64Array.from(values.data);
    return this.engine.fromData(data, values.dims);
  }

  private constantNode(node: NodeProto, where: string): Value {
    const a = node.attribute[0];
    if (node.attribute.length !== 1 || !a)
      throw new Error(`${where}: a Constant needs exactly one attribute`);
    switch (a.name) {
      case 'value':
        if (!a.t) throw new Error(`${where}: 'value' holds no tensor`);
        return this.fromTensorProto(a.t, where);
      case 'value_int':
        return new IntValue([], [a.i ?? 0]);
      case 'value_ints':
        return new IntValue([a.ints.length], a.ints);
      case 'value_float':
        return this.engine.fromData(
          this.dtype === 'float32' ? Float32Array.of(a.f ?? 0) : Float64Array.of(a.f ?? 0),
          [],
        );
      case 'value_floats':
        return this.engine.fromData(
          this.dtype === 'float32' ? Float32Array.from(a.floats) : Float64Array.from(a.floats),
          [a.floats.length],
        );
      default:
        throw new Error(`${where}: Constant attribute '${a.name}' is not supported`);
    }
  }

  private attribute(a: AttributeProto, where: string): nn.OnnxAttributeValue {
    switch (a.type) {
      case AttributeType.int:
        return { int: a.i ?? 0 };
      case AttributeType.ints:
        return { ints: a.ints };
      case AttributeType.float:
        return { float: a.f ?? 0 };
      case AttributeType.floats:
        return { floats: a.floats };
      case AttributeType.string:
        return { string: new TextDecoder().decode(a.s ?? new Uint8Array()) };
      default:
        throw new Error(`${where}: attribute '${a.name}' has type ${a.type}, which is not supported`);
    }
  }

  /** The layer modules nested in containers by path, in node order. */
  private tree(): [string, nn.Module][] {
    interface Branch {
      children: Map<string, Branch | nn.Module>;
    }
    const root: Branch = { children: new Map() };
    for (const { path, module } of this.layers) {
      let branch = root;
      for (const part of path.slice(0, -1)) {
        let next = branch.children.get(part);
        if (!next) {
          next = { children: new Map() };
          branch.children.set(part, next);
        }
        branch = next as Branch;
      }
      branch.children.set(path[path.length - 1], module);
    }
    const build = (branch: Branch): [string, nn.Module][] =>
      [...branch.children].map(([name, child]) => [
        name,
        child instanceof nn.Module ? child : new OnnxContainer(this.engine, build(child)),
      ]);
    return build(root);
  }
}

function int(attributes: Record<string, nn.OnnxAttributeValue>, name: string): number | undefined {
  const a = attributes[name];
  return a && 'int' in a ? a.int : undefined;
}

function flt(attributes: Record<string, nn.OnnxAttributeValue>, name: string, fallback: number): number {
  const a = attributes[name];
  return a && 'float' in a ? a.float : fallback;
}
