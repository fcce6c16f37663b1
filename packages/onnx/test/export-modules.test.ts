import { createEngine, type Engine, nn, type Tensor } from '@lowrank/core';
import { describe, expect, it } from 'vitest';
import { exportOnnx, importOnnx } from '../src/index.js';
import { maxAbsDiff, randomValues, runModule, runOrt } from './helpers.js';

/** Gives every parameter and buffer deterministic non-trivial values (BN variance kept positive). */
function randomize(engine: Engine, m: nn.Module, seed = 3): void {
  let s = seed;
  for (const [name, t] of m.stateDict()) {
    if (t.dtype === 'int32') continue;
    const v = randomValues(t.size, s++);
    const values = name.endsWith('running_var') ? v.map((x) => 0.5 + Math.abs(x)) : v;
    t.copyFrom(engine.fromData(values, [...t.shape]));
  }
}

type Case = [string, (e: Engine) => nn.Module, number[]];

const cases: Case[] = [
  [
    'Conv2d with asymmetric padding, stride, dilation and groups',
    (e) =>
      new nn.Conv2d(e, 4, 6, [3, 2], { padding: [2, 0, 1, 3], stride: [2, 1], dilation: [1, 2], groups: 2 }),
    [4, 9, 8],
  ],
  ['Conv2d without bias', (e) => new nn.Conv2d(e, 3, 5, 3, { bias: false, padding: 1 }), [3, 6, 6]],
  ['Linear on [N, in] (Gemm)', (e) => new nn.Linear(e, 12, 7), [12]],
  ['Linear on [N, T, in] (MatMul)', (e) => new nn.Linear(e, 12, 7), [5, 12]],
  ['Linear without bias on [N, T, in]', (e) => new nn.Linear(e, 12, 7, { bias: false }), [5, 12]],
  ['BatchNorm2d in eval mode', (e) => new nn.BatchNorm2d(e, 4, { eps: 1e-3 }), [4, 5, 5]],
  ['BatchNorm2d without affine', (e) => new nn.BatchNorm2d(e, 4, { affine: false }), [4, 3, 3]],
  ['ReLU', (e) => new nn.ReLU(e), [3, 4]],
  ['Sigmoid', (e) => new nn.Sigmoid(e), [3, 4]],
  ['Tanh', (e) => new nn.Tanh(e), [3, 4]],
  ['GELU (exact, through Erf)', (e) => new nn.GELU(e), [3, 4]],
  ['Softmax over axis 1', (e) => new nn.Softmax(e, 1), [3, 4]],
  ['LogSoftmax', (e) => new nn.LogSoftmax(e), [3, 4]],
  [
    'MaxPool2d with padding, stride and dilation',
    (e) => new nn.MaxPool2d(e, 3, { stride: 2, padding: [1, 0, 1, 1], dilation: [1, 2] }),
    [2, 9, 10],
  ],
  [
    'AvgPool2d counting padding (core default)',
    (e) => new nn.AvgPool2d(e, 3, { stride: 2, padding: 1 }),
    [2, 7, 7],
  ],
  [
    'AvgPool2d not counting padding',
    (e) => new nn.AvgPool2d(e, [2, 3], { padding: [1, 1], countIncludePad: false }),
    [2, 6, 7],
  ],
  ['AdaptiveAvgPool2d to 1x1 (GlobalAveragePool)', (e) => new nn.AdaptiveAvgPool2d(e, 1), [3, 5, 6]],
  ['AdaptiveAvgPool2d to a divisor of the input', (e) => new nn.AdaptiveAvgPool2d(e, [2, 3]), [3, 4, 6]],
  ['AdaptiveMaxPool2d to 1x1', (e) => new nn.AdaptiveMaxPool2d(e, 1), [3, 5, 6]],
  ['AdaptiveMaxPool2d to a divisor', (e) => new nn.AdaptiveMaxPool2d(e, 2), [3, 4, 6]],
  ['Flatten (all but batch: ONNX Flatten)', (e) => new nn.Flatten(e), [2, 3, 4]],
  ['Flatten of middle axes (Reshape)', (e) => new nn.Flatten(e, 2, 3), [2, 3, 4, 5]],
  ['Flatten of the batch axis too', (e) => new nn.Flatten(e, 0, -1), [2, 3]],
  ['Dropout (identity at inference)', (e) => new nn.Dropout(e, 0.3), [5]],
  ['Identity', (e) => new nn.Identity(e), [5]],
  ['empty Sequential', (e) => new nn.Sequential(e), [5]],
  [
    'Sequential with nested Residual blocks',
    (e) =>
      new nn.Sequential(e, [
        new nn.Conv2d(e, 2, 4, 3, { padding: 1 }),
        new nn.Residual(
          e,
          new nn.Sequential(e, [new nn.Conv2d(e, 4, 4, 3, { padding: 1 }), new nn.BatchNorm2d(e, 4)]),
          {
            after: new nn.ReLU(e),
          },
        ),
        new nn.Residual(e, new nn.Conv2d(e, 4, 6, 3, { padding: 1, stride: 2 }), {
          shortcut: new nn.Conv2d(e, 4, 6, 1, { stride: 2 }),
        }),
        new nn.AdaptiveAvgPool2d(e, 1),
        new nn.Flatten(e),
        new nn.Linear(e, 6, 3),
        new nn.Softmax(e),
      ]),
    [2, 8, 8],
  ],
];

describe('export of core modules', () => {
  it.each(cases)(
    '%s: onnxruntime matches forward within 1e-5, and import -> forward matches too',
    async (_, make, sample) => {
      const engine = createEngine({ backend: 'cpu', seed: 1 });
      const model = make(engine);
      randomize(engine, model);
      const shape = [3, ...sample];
      const x = randomValues(
        shape.reduce((a, b) => a * b, 1),
        11,
      ).map((v) => v * 2);
      const bytes = await exportOnnx(model, { inputShape: sample });
      const expected = await runModule(engine, model, x, shape);
      const ort = await runOrt(bytes, x, shape);
      expect(ort.dims).toEqual(expected.dims);
      expect(maxAbsDiff(ort.data, expected.data)).toBeLessThan(1e-5);
      const imported = await runModule(engine, importOnnx(engine, bytes), x, shape);
      expect(imported.dims).toEqual(expected.dims);
      expect(maxAbsDiff(imported.data, expected.data)).toBeLessThan(1e-5);
    },
  );

  it('writes float64 weights as float32 by default', async () => {
    const engine = createEngine({ backend: 'cpu', seed: 1 });
    const model = new nn.Conv2d(engine, 2, 3, 3, { dtype: 'float64' });
    const bytes = await exportOnnx(model, { inputShape: [2, 5, 5] });
    const x = randomValues(50, 2);
    const ort = await runOrt(bytes, x, [1, 2, 5, 5]);
    const expected = await runModule(engine, model, x, [1, 2, 5, 5]);
    expect(maxAbsDiff(ort.data, expected.data)).toBeLessThan(1e-5);
  });

  it('names nodes by module path and weights by state-dict name, and leaves the train/eval mode as it was', async () => {
    const engine = createEngine({ backend: 'cpu', seed: 1 });
    const model = new nn.Sequential(engine, [
      new nn.Conv2d(engine, 1, 2, 3),
      new nn.ReLU(engine),
      new nn.Conv2d(engine, 2, 2, 3),
    ]);
    model.train();
    const graph = importOnnx(
      engine,
      await exportOnnx(model, { inputShape: [1, 7, 7], inputName: 'image', outputName: 'features' }),
    );
    expect(model.training).toBe(true);
    expect(graph.spec.nodes.map((n) => n.name)).toEqual(['/0/Conv', '/1/Relu', '/2/Conv']);
    expect(graph.spec.inputName).toBe('image');
    expect(graph.spec.outputName).toBe('features');
    expect([...graph.stateDict().keys()]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
  });
});

class Custom extends nn.Module {
  get typeName() {
    return 'Custom';
  }
  config() {
    return {};
  }
  forward(x: Tensor) {
    return x.mul(2);
  }
}

describe('export errors', () => {
  const engine = createEngine({ backend: 'cpu', seed: 1 });

  it('a module without toOnnx is named by path and type', async () => {
    const model = new nn.Sequential(engine, [
      new nn.ReLU(engine),
      new nn.Sequential(engine, [new Custom(engine)]),
    ]);
    await expect(exportOnnx(model, { inputShape: [3] })).rejects.toThrow(
      "module '1.0' (Custom) has no ONNX export",
    );
  });

  it('an adaptive pool with uneven windows says it has no ONNX equivalent', async () => {
    const model = new nn.Sequential(engine, [new nn.AdaptiveAvgPool2d(engine, 3)]);
    await expect(exportOnnx(model, { inputShape: [1, 8, 8] })).rejects.toThrow(
      /AdaptiveAvgPool2d '0'.*3x3 has no ONNX equivalent/,
    );
  });

  it('an inputShape the model cannot take, an unsupported opset or clashing names are refused before writing', async () => {
    const conv = new nn.Conv2d(engine, 3, 4, 3);
    await expect(exportOnnx(conv, { inputShape: [1, 8, 8] })).rejects.toThrow(
      /does not run on an input of shape \[1, 1, 8, 8\]/,
    );
    await expect(exportOnnx(conv, { inputShape: [3, -8, 8] })).rejects.toThrow(/positive integers/);
    await expect(exportOnnx(conv, { inputShape: [3, 8, 8], opset: 11 })).rejects.toThrow(
      /opset must be an integer from 13 to 17/,
    );
    await expect(
      exportOnnx(conv, { inputShape: [3, 8, 8], inputName: 'y', outputName: 'y' }),
    ).rejects.toThrow(/distinct/);
    await expect(exportOnnx(conv, { inputShape: [3, 8, 8], outputName: 'weight' })).rejects.toThrow(
      /same as the graph's input or output/,
    );
  });
});
