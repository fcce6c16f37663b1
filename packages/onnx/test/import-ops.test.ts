import { createEngine, nn } from '@lowrank/core';
import { describe, expect, it } from 'vitest';
import {
  DataType,
  decodeModel,
  emptyTensor,
  encodeModel,
  exportOnnx,
  floatTensor,
  importOnnx,
  int64Tensor,
} from '../src/index.js';
import { floats, maxAbsDiff, model, node, randomValues, runModule, runOrt } from './helpers.js';

type Graph = {
  nodes: ReturnType<typeof node>[];
  inits: ReturnType<typeof floats>[];
  shape: number[];
  opset?: number;
  /** transA makes the first axis a feature axis: the graph has no batch axis to export with. */
  noBatch?: boolean;
};

const graphs: Record<string, Graph> = {
  'Gemm with alpha, beta, transA and an untransposed B': {
    nodes: [node('Gemm', ['x', 'B', 'C'], 'y', { alpha: { f: 0.5 }, beta: { f: 2 }, transA: 1 })],
    inits: [floats('B', [4, 3]), floats('C', [3], 8)],
    shape: [4, 5],
    noBatch: true,
  },
  'Gemm with a computed B (an operator, not a layer)': {
    nodes: [node('Relu', ['x'], 'r'), node('Gemm', ['x', 'r'], 'y', { transB: 1 })],
    inits: [],
    shape: [3, 4],
  },
  'MatMul with a constant [in, out] weight on a rank-3 input, then Add of a bias': {
    nodes: [node('MatMul', ['x', 'W'], 'h', {}, '/proj/MatMul'), node('Add', ['h', 'b'], 'y')],
    inits: [floats('W', [6, 4]), floats('b', [4], 9)],
    shape: [2, 3, 6],
  },
  'broadcasting Add, Sub, Mul, Div with constants on either side': {
    nodes: [
      node('Add', ['x', 'a'], 't1'),
      node('Sub', ['b', 't1'], 't2'),
      node('Mul', ['t2', 'c'], 't3'),
      node('Div', ['t3', 'd'], 'y'),
    ],
    inits: [
      floats('a', [1, 4, 1]),
      floats('b', [5]),
      floats('c', []),
      floatTensor('d', [4, 1], [1, 2, -3, 4]),
    ],
    shape: [2, 4, 5],
  },
  'LeakyRelu, Sigmoid, Tanh, Clip with min and max inputs': {
    nodes: [
      node('LeakyRelu', ['x'], 'a', { alpha: { f: 0.2 } }),
      node('Sigmoid', ['a'], 'b'),
      node('Tanh', ['x'], 'c'),
      node('Add', ['b', 'c'], 'd'),
      node('Clip', ['d', 'lo', 'hi'], 'y'),
    ],
    inits: [floatTensor('lo', [], [-0.3]), floatTensor('hi', [], [0.9])],
    shape: [3, 7],
  },
  'Conv with groups, then BatchNormalization, MaxPool, AveragePool, GlobalAveragePool': {
    nodes: [
      node('Conv', ['x', 'conv.weight', 'conv.bias'], 'c', {
        group: 2,
        pads: [1, 0, 0, 1],
        strides: [1, 2],
        kernel_shape: [3, 3],
      }),
      node('BatchNormalization', ['c', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var'], 'b', {
        epsilon: { f: 1e-3 },
      }),
      node('MaxPool', ['b'], 'm', { kernel_shape: [2, 2], pads: [1, 1, 0, 0], strides: [1, 1] }),
      node('AveragePool', ['m'], 'a', { kernel_shape: [2, 2], pads: [0, 1, 1, 0], count_include_pad: 1 }),
      node('GlobalAveragePool', ['a'], 'y'),
    ],
    inits: [
      floats('conv.weight', [4, 2, 3, 3]),
      floats('conv.bias', [4], 2),
      floats('bn.weight', [4], 3),
      floats('bn.bias', [4], 4),
      floats('bn.running_mean', [4], 5),
      floatTensor('bn.running_var', [4], [0.5, 1, 1.5, 2]),
    ],
    shape: [2, 4, 8, 9],
  },
  "PyTorch's old flatten: Shape, Gather, Unsqueeze, Concat, Reshape": {
    nodes: [
      node('Shape', ['x'], 's'),
      node('Gather', ['s', 'zero'], 'n', { axis: 0 }),
      node('Unsqueeze', ['n', 'axes'], 'n1'),
      node('Concat', ['n1', 'minus1'], 'shape', { axis: 0 }),
      node('Reshape', ['x', 'shape'], 'y'),
    ],
    inits: [int64Tensor('zero', [0], []), int64Tensor('axes', [0]), int64Tensor('minus1', [-1])],
    shape: [3, 4, 5],
  },
  'Reshape with 0 and -1, Transpose, Concat, Softmax, Flatten': {
    nodes: [
      node('Reshape', ['x', 'shape'], 'r'),
      node('Transpose', ['r'], 't', { perm: [0, 2, 1] }),
      node('Concat', ['t', 't'], 'c', { axis: 1 }),
      node('Softmax', ['c'], 's', { axis: 1 }),
      node('Flatten', ['s'], 'y', { axis: 2 }),
    ],
    inits: [int64Tensor('shape', [0, -1, 4])],
    shape: [2, 3, 4],
  },
  'Constant, Identity, Dropout, Squeeze, Unsqueeze (opset 11 attributes)': {
    nodes: [
      {
        ...node('Constant', [], 'k'),
        attribute: [
          { name: 'value', type: 4, t: floatTensor('', [1], [1.5]), floats: [], ints: [], hasGraph: false },
        ],
      },
      node('Mul', ['x', 'k'], 'm'),
      node('Identity', ['m'], 'i'),
      node('Dropout', ['i'], 'd'),
      node('Unsqueeze', ['d'], 'u', { axes: [1] }),
      node('Squeeze', ['u'], 'y', { axes: [1] }),
    ],
    inits: [],
    shape: [3, 2],
    opset: 11,
  },
  'LogSoftmax on the last axis at opset 11': {
    nodes: [node('LogSoftmax', ['x'], 'y', { axis: 1 })],
    inits: [],
    shape: [3, 5],
    opset: 11,
  },
};

describe('imported graphs run as in onnxruntime', () => {
  it.each(Object.entries(graphs))(
    '%s (within 1e-5), and its export (given a batch axis) computes the same',
    async (_, g) => {
      const bytes = model(g.nodes, g.inits, ['batch', ...g.shape.slice(1)], 'y', g.opset ?? 13);
      const engine = createEngine({ backend: 'cpu', seed: 0 });
      const x = randomValues(
        g.shape.reduce((a, b) => a * b, 1),
        5,
      ).map((v) => 3 * v);
      const expected = await runOrt(bytes, x, g.shape, 'x');
      const graph = importOnnx(engine, bytes);
      const ours = await runModule(engine, graph, x, g.shape);
      expect(ours.dims).toEqual(expected.dims);
      expect(maxAbsDiff(ours.data, expected.data)).toBeLessThan(1e-5);
      if (g.noBatch) return;
      const exported = await exportOnnx(graph, { inputShape: g.shape.slice(1) });
      const again = await runOrt(exported, x, g.shape);
      expect(again.dims).toEqual(expected.dims);
      expect(maxAbsDiff(again.data, expected.data)).toBeLessThan(1e-5);
    },
  );

  it('constant-weight Conv, Gemm, MatMul and BatchNormalization become Conv2d, Linear and BatchNorm2d children', () => {
    const engine = createEngine({ backend: 'cpu', seed: 0 });
    const conv = graphs['Conv with groups, then BatchNormalization, MaxPool, AveragePool, GlobalAveragePool'];
    const g1 = importOnnx(engine, model(conv.nodes, conv.inits, ['batch', 4, 8, 9]));
    expect(g1.getModule('conv')).toBeInstanceOf(nn.Conv2d);
    expect((g1.getModule('conv') as nn.Conv2d).groups).toBe(2);
    expect(g1.getModule('bn')).toBeInstanceOf(nn.BatchNorm2d);
    const mm = graphs['MatMul with a constant [in, out] weight on a rank-3 input, then Add of a bias'];
    const g2 = importOnnx(engine, model(mm.nodes, mm.inits, ['batch', 3, 6]));
    expect(g2.getModule('proj')).toBeInstanceOf(nn.Linear);
    expect((g2.getModule('proj') as nn.Linear).weight.shape).toEqual([4, 6]);
    // The Add of a constant vector after the MatMul is fused into the Linear's bias.
    expect([...g2.stateDict().keys()]).toEqual(['proj.weight', 'proj.bias']);
    const gemm = graphs['Gemm with a computed B (an operator, not a layer)'];
    expect(importOnnx(engine, model(gemm.nodes, gemm.inits, ['batch', 4])).namedChildren()).toEqual([]);
  });

  it('imports in float64 on request, matching float32 within 1e-5', async () => {
    const engine = createEngine({ backend: 'cpu', seed: 0 });
    const g = graphs['Gemm with alpha, beta, transA and an untransposed B'];
    const bytes = model(g.nodes, g.inits, [4, 5]);
    const x = randomValues(20, 3);
    const graph = importOnnx(engine, bytes, { dtype: 'float64' });
    expect(graph.parameters().every((p) => p.dtype === 'float64')).toBe(true);
    const y = await runModule(engine, graph, x, [4, 5]);
    const expected = await runOrt(bytes, x, [4, 5], 'x');
    expect(maxAbsDiff(y.data, expected.data)).toBeLessThan(1e-5);
  });
});

describe('import errors name the node or initializer', () => {
  const engine = createEngine({ backend: 'cpu', seed: 0 });

  it('an unsupported op lists the supported ones', () => {
    const bytes = model(
      [node('Einsum', ['x', 'x'], 'y', { equation: 'ij,ij->i' }, '/head/Einsum')],
      [],
      [2, 2],
    );
    expect(() => importOnnx(engine, bytes)).toThrow(
      /node '\/head\/Einsum' \(Einsum\): op 'Einsum' is not supported; supported ops: .*Conv.*Gemm.*Relu/,
    );
  });

  it('a Conv whose weight the graph computes', () => {
    const bytes = model(
      [
        node('Relu', ['w0'], 'w'),
        node('Mul', ['x', 'w'], 'xw'),
        node('Conv', ['xw', 'xw'], 'y', {}, '/c/Conv'),
      ],
      [floats('w0', [1])],
      [1, 1, 3, 3],
    );
    expect(() => importOnnx(engine, bytes)).toThrow(
      /node '\/c\/Conv' \(Conv\): its weight or bias is computed by the graph/,
    );
  });

  it('external data, unknown data types and non-finite weights name the initializer', () => {
    const external = { ...floats('w', [2, 2]), rawData: undefined, dataLocation: 1 };
    expect(() => importOnnx(engine, model([node('MatMul', ['x', 'w'], 'y')], [external], [1, 2]))).toThrow(
      /initializer 'w': its data is stored in an external file/,
    );
    const strings = { ...emptyTensor('w'), dims: [2, 2], dataType: DataType.string };
    expect(() => importOnnx(engine, model([node('MatMul', ['x', 'w'], 'y')], [strings], [1, 2]))).toThrow(
      /initializer 'w': data type string is not supported/,
    );
    const nan = floatTensor('w', [2, 2], [1, Number.NaN, 0, 1]);
    expect(() => importOnnx(engine, model([node('MatMul', ['x', 'w'], 'y')], [nan], [1, 2]))).toThrow(
      /initializer 'w': value NaN at flat index 1; weights must be finite/,
    );
    const inf = floatTensor('b', [2], [1, Number.POSITIVE_INFINITY]);
    expect(() => importOnnx(engine, model([node('Add', ['x', 'b'], 'y')], [inf], [1, 2]))).toThrow(
      /initializer 'b': value Infinity/,
    );
  });

  it('raw data of the wrong length, a missing graph input, a dynamic shape where a constant is needed', () => {
    const short = { ...floats('w', [2, 2]), rawData: new Uint8Array(12) };
    expect(() => importOnnx(engine, model([node('MatMul', ['x', 'w'], 'y')], [short], [1, 2]))).toThrow(
      /initializer 'w': raw_data has 12 bytes, expected 16/,
    );
    const dynamicShape = model(
      [node('Relu', ['x'], 'r'), node('Reshape', ['x', 'r'], 'y', {}, 'R')],
      [],
      [2, 2],
    );
    expect(() => importOnnx(engine, dynamicShape).call(engine.zeros([2, 2]))).toThrow(
      /Node 'R' \(Reshape\): the shape input must be a constant integer tensor/,
    );
  });

  it('an integer graph input', () => {
    const proto = decodeModel(model([node('Relu', ['x'], 'y')], [], [1]));
    const typed = proto.graph.input[0].tensorType;
    if (typed) typed.elemType = DataType.int64;
    expect(() => importOnnx(engine, encodeModel(proto))).toThrow(
      /graph input 'x' holds int64 values; OnnxGraph takes float inputs/,
    );
  });

  it('unsupported opsets, domains, attributes and multiple-output use', () => {
    expect(() => importOnnx(engine, model([node('Relu', ['x'], 'y')], [], [1], 'y', 8))).toThrow(
      /opset 8 .* opsets 9 to 21/,
    );
    const custom = { ...node('Relu', ['x'], 'y'), domain: 'com.microsoft' };
    expect(() => importOnnx(engine, model([custom], [], [1]))).toThrow(
      /domain 'com.microsoft' are not supported/,
    );
    const ceil = model(
      [node('MaxPool', ['x'], 'y', { kernel_shape: [2, 2], ceil_mode: 1 }, 'P')],
      [],
      [1, 1, 5, 5],
    );
    expect(() => importOnnx(engine, ceil).call(engine.zeros([1, 1, 5, 5]))).toThrow(
      /Node 'P' \(MaxPool\): ceil_mode=1/,
    );
    const twoOutputs = { ...node('Dropout', ['x'], 'd'), output: ['d', 'mask'] };
    expect(() => importOnnx(engine, model([twoOutputs, node('Add', ['d', 'mask'], 'y')], [], [1]))).toThrow(
      /uses its extra output\(s\) mask/,
    );
  });
});
