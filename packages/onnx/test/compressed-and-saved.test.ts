import { readFileSync } from 'node:fs';
import { createEngine, nn } from '@lowrank/core';
import { describe, expect, it } from 'vitest';
import {
  decodeModel,
  exportOnnx,
  importOnnx,
  moduleBuilders,
  OnnxContainer,
  OnnxGraph,
} from '../src/index.js';
import { MODELS, maxAbsDiff, randomValues, runModule, runOrt } from './helpers.js';

const lenetBytes = new Uint8Array(readFileSync(`${MODELS}fmnist-lenet5.onnx`));
const resnetBytes = new Uint8Array(readFileSync(`${MODELS}fmnist-resnet8.onnx`));
const x = randomValues(4 * 784, 21);
const shape = [4, 1, 28, 28];

/** conv2 (6 -> 16, 5x5) replaced by a 5x1 conv to 4 channels and a 1x5 conv to 16, as a factorization would. */
function compressLenet(graph: OnnxGraph): void {
  const engine = graph.engine;
  const first = new nn.Conv2d(engine, 6, 4, [5, 1], { bias: false });
  const second = new nn.Conv2d(engine, 4, 16, [1, 5]);
  first.weight.copyFrom(
    engine.fromData(
      randomValues(6 * 4 * 5, 4).map((v) => v * 0.2),
      [4, 6, 5, 1],
    ),
  );
  graph.replaceModule('conv2', new nn.Sequential(engine, [first, second]));
}

describe('a compressed imported model', () => {
  it('runs its replacement layer and exports it as itself; onnxruntime matches forward within 1e-4', async () => {
    const engine = createEngine({ backend: 'cpu', seed: 0 });
    const graph = importOnnx(engine, lenetBytes);
    const before = await runModule(engine, graph, x, shape);
    compressLenet(graph);
    const after = await runModule(engine, graph, x, shape);
    expect(maxAbsDiff(before.data, after.data)).toBeGreaterThan(1e-3);
    // The imported graph knows its input shape, so the export needs no options.
    const bytes = await exportOnnx(graph);
    const ort = await runOrt(bytes, x, shape);
    expect(maxAbsDiff(ort.data, after.data)).toBeLessThan(1e-4);
    const names = decodeModel(bytes).graph.initializer.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(['conv2.0.weight', 'conv2.1.weight', 'conv2.1.bias', 'fc3.weight']),
    );
    // Importing the compressed file nests the two convs under conv2 again.
    const again = importOnnx(engine, bytes);
    expect(again.getModule('conv2')).toBeInstanceOf(OnnxContainer);
    expect(again.getModule('conv2.0')).toBeInstanceOf(nn.Conv2d);
    expect(maxAbsDiff((await runModule(engine, again, x, shape)).data, after.data)).toBeLessThan(1e-5);
  });

  it('asks for inputShape when the model does not know it', async () => {
    const engine = createEngine({ backend: 'cpu', seed: 0 });
    await expect(exportOnnx(new nn.Linear(engine, 4, 2))).rejects.toThrow(/pass options.inputShape/);
  });

  it('the module tree has the Conv2d and Linear layers compression looks for, first conv and classifier in order', () => {
    const engine = createEngine({ backend: 'cpu', seed: 0 });
    const layers = importOnnx(engine, resnetBytes)
      .namedModules()
      .filter(([, m]) => m instanceof nn.Conv2d || m instanceof nn.Linear)
      .map(([name]) => name);
    expect(layers[0]).toBe('stem.0');
    expect(layers[layers.length - 1]).toBe('fc');
    expect(layers).toHaveLength(10);
  });
});

describe('saveModule / loadModule of an imported graph', () => {
  it.each([
    ['LeNet-5', lenetBytes, false],
    ['ResNet-8', resnetBytes, false],
    ['compressed LeNet-5', lenetBytes, true],
  ] as const)(
    '%s round-trips with moduleBuilders to the same outputs (exact)',
    async (_, bytes, compressed) => {
      const engine = createEngine({ backend: 'cpu', seed: 0 });
      const graph = importOnnx(engine, bytes);
      if (compressed) compressLenet(graph);
      const saved = await nn.saveModule(graph);
      const loaded = nn.loadModule(engine, saved, moduleBuilders);
      expect(loaded).toBeInstanceOf(OnnxGraph);
      expect(loaded.describe()).toEqual(graph.describe());
      const a = await runModule(engine, graph, x, shape);
      const b = await runModule(engine, loaded, x, shape);
      expect(b.data).toEqual(a.data);
      expect((loaded as OnnxGraph).inputShape).toEqual([1, 28, 28]);
      // And the rebuilt graph still exports.
      const ort = await runOrt(await exportOnnx(loaded, { inputShape: [1, 28, 28] }), x, shape);
      expect(maxAbsDiff(ort.data, a.data)).toBeLessThan(1e-4);
    },
  );

  it('float constants of the graph are saved as buffers and restored', async () => {
    const engine = createEngine({ backend: 'cpu', seed: 0 });
    const model = new nn.Sequential(engine, [new nn.Linear(engine, 3, 2), new nn.GELU(engine)]);
    const graph = importOnnx(engine, await exportOnnx(model, { inputShape: [3] }));
    expect([...graph.stateDict().keys()]).toEqual(['1_sqrt2', '1_one', '1_half', '0.weight', '0.bias']);
    const loaded = nn.loadModule(engine, await nn.saveModule(graph), moduleBuilders);
    const input = randomValues(6, 2);
    expect((await runModule(engine, loaded, input, [2, 3])).data).toEqual(
      (await runModule(engine, graph, input, [2, 3])).data,
    );
  });
});
