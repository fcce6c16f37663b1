import type { Engine, nn, Tensor } from '@lowrank/core';
import * as ort from 'onnxruntime-node';
import {
  type AttributeProto,
  AttributeType,
  DataType,
  emptyGraph,
  encodeModel,
  floatTensor,
  int64Tensor,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from '../src/index.js';

export const MODELS = new URL('../../../../shared/models/', import.meta.url).pathname;

/** Runs ONNX bytes in onnxruntime on one float32 input; returns the single output. */
export async function runOrt(
  bytes: Uint8Array,
  x: Float32Array,
  shape: readonly number[],
  inputName = 'input',
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ [inputName]: new ort.Tensor('float32', x, [...shape]) });
    const y = out[session.outputNames[0]];
    return { data: y.data as Float32Array, dims: y.dims };
  } finally {
    await session.release();
  }
}

/** Runs a module on x in eval mode; returns its values and shape. */
export async function runModule(
  engine: Engine,
  model: nn.Module,
  x: Float32Array,
  shape: readonly number[],
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  model.eval();
  const y = engine.noGrad(() => model.call(engine.fromData(x, [...shape])));
  const data = Float32Array.from(await y.data());
  const dims = [...y.shape];
  y.dispose();
  return { data, dims };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Deterministic pseudo-random values in [-1, 1). */
export function randomValues(n: number, seed = 1): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

export async function tensorData(t: Tensor): Promise<Float32Array> {
  return Float32Array.from(await t.data());
}

type Attr = number | number[] | { f: number } | { fs: number[] } | string;

/** A node for hand-built test graphs: numbers are INT, arrays INTS, {f} FLOAT, strings STRING. */
export function node(
  opType: string,
  input: string[],
  output: string,
  attrs: Record<string, Attr> = {},
  name = '',
): NodeProto {
  const attribute = Object.entries(attrs).map(([key, v]): AttributeProto => {
    const a: AttributeProto = { name: key, type: 0, floats: [], ints: [], hasGraph: false };
    if (typeof v === 'number') Object.assign(a, { type: AttributeType.int, i: v });
    else if (Array.isArray(v)) Object.assign(a, { type: AttributeType.ints, ints: v });
    else if (typeof v === 'string')
      Object.assign(a, { type: AttributeType.string, s: new TextEncoder().encode(v) });
    else if ('f' in v) Object.assign(a, { type: AttributeType.float, f: v.f });
    else Object.assign(a, { type: AttributeType.floats, floats: v.fs });
    return a;
  });
  return { name: name || `${opType}_${output}`, opType, domain: '', input, output: [output], attribute };
}

export function floats(name: string, dims: number[], seed = 7): TensorProto {
  return floatTensor(
    name,
    dims,
    randomValues(
      dims.reduce((a, b) => a * b, 1),
      seed,
    ),
  );
}

export { int64Tensor };

/** A one-input, one-output model around the given nodes and initializers. */
export function model(
  nodes: NodeProto[],
  initializer: TensorProto[],
  inputShape: (number | string)[],
  output = 'y',
  opset = 13,
): Uint8Array {
  const dims = inputShape.map((d) => (typeof d === 'number' ? { value: d } : { param: d }));
  const proto: ModelProto = {
    irVersion: 7,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'test',
    producerVersion: '',
    graph: {
      ...emptyGraph('test'),
      node: nodes,
      initializer,
      input: [{ name: 'x', tensorType: { elemType: DataType.float, shape: dims } }],
      output: [{ name: output, tensorType: { elemType: DataType.float } }],
    },
  };
  return encodeModel(proto);
}
