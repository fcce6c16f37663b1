import { readFileSync } from 'node:fs';
import { argmax, createEngine, type Engine, type nn } from '@lowrank/core';
import { loadWeightsFile } from '@lowrank/core/node';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, loadFashionMnist } from '@lowrank/fashion-mnist';
import { LeNet5, ResNet8 } from '@lowrank/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx, importOnnx, OnnxGraph } from '../src/index.js';
import { MODELS, maxAbsDiff, runModule, runOrt } from './helpers.js';

let images: Float32Array;
let labels: Uint8Array;
const COUNT = 1000;
const SAMPLE = 784;

beforeAll(async () => {
  const test = await loadFashionMnist({ split: 'test' });
  expect(test.count).toBe(COUNT);
  images = Float32Array.from(test.images, (p) => (p / 255 - FASHION_MNIST_MEAN) / FASHION_MNIST_STD);
  labels = test.labels;
});

const batch = (start: number, n: number) => images.subarray(start * SAMPLE, (start + n) * SAMPLE);

async function predictions(engine: Engine, model: nn.Module, n: number): Promise<Int32Array> {
  model.eval();
  const out = new Int32Array(n);
  for (let start = 0; start < n; start += 250) {
    const size = Math.min(250, n - start);
    const classes = engine.noGrad(() =>
      engine.tidy(() => argmax(model.call(engine.fromData(batch(start, size), [size, 1, 28, 28])), 1)),
    );
    out.set(await classes.data(), start);
    classes.dispose();
  }
  return out;
}

function ortPredictions(logits: Float32Array, n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => {
    const row = logits.subarray(i * 10, i * 10 + 10);
    return row.indexOf(Math.max(...row));
  });
}

const accuracy = (p: Int32Array) => p.reduce((s, c, i) => s + (c === labels[i] ? 1 : 0), 0) / p.length;

describe.each(['fmnist-lenet5', 'fmnist-resnet8'])('%s.onnx', (name) => {
  const bytes = new Uint8Array(readFileSync(`${MODELS}${name}.onnx`));

  it('imports with PyTorch state-dict names and matches onnxruntime on 32 test images within 1e-4', async () => {
    const engine = createEngine({ backend: 'cpu', seed: 0 });
    const graph = importOnnx(engine, bytes);
    expect(graph).toBeInstanceOf(OnnxGraph);
    expect(graph.inputShape).toEqual([1, 28, 28]);
    expect(graph.spec.outputShape).toEqual([10]);
    const names = [...graph.stateDict().keys()];
    if (name === 'fmnist-lenet5') {
      expect(names).toEqual([
        'conv1.weight',
        'conv1.bias',
        'conv2.weight',
        'conv2.bias',
        'fc1.weight',
        'fc1.bias',
        'fc2.weight',
        'fc2.bias',
        'fc3.weight',
        'fc3.bias',
      ]);
    } else {
      // BatchNorm was folded into the convolutions by PyTorch's exporter; paths come from node names.
      expect(names.filter((n) => n.endsWith('.weight'))).toEqual([
        'stem.0.weight',
        'layer1.c1.weight',
        'layer1.c2.weight',
        'layer2.c1.weight',
        'layer2.c2.weight',
        'layer2.short.0.weight',
        'layer3.c1.weight',
        'layer3.c2.weight',
        'layer3.short.0.weight',
        'fc.weight',
      ]);
    }
    const x = batch(0, 32);
    const ours = await runModule(engine, graph, x, [32, 1, 28, 28]);
    const ort = await runOrt(bytes, x, [32, 1, 28, 28]);
    expect(ours.dims).toEqual([32, 10]);
    expect(maxAbsDiff(ours.data, ort.data)).toBeLessThan(1e-4);
  });

  it('exports back to ONNX that onnxruntime runs to the same logits within 1e-4', async () => {
    const engine = createEngine({ backend: 'cpu', seed: 0 });
    const graph = importOnnx(engine, bytes);
    const exported = await exportOnnx(graph, { inputShape: [1, 28, 28] });
    const x = batch(100, 16);
    const original = await runOrt(bytes, x, [16, 1, 28, 28]);
    const again = await runOrt(exported, x, [16, 1, 28, 28]);
    expect(maxAbsDiff(again.data, original.data)).toBeLessThan(1e-4);
    // Weights keep their state-dict names in the exported file.
    const reimported = importOnnx(engine, exported);
    expect([...reimported.stateDict().keys()]).toEqual([...graph.stateDict().keys()]);
  });
});

it('the imported LeNet-5 classifies the 1,000 bundled test images exactly as LeNet5 with the safetensors weights and as onnxruntime', async () => {
  const engine = createEngine({ backend: 'cpu', seed: 0 });
  const graph = importOnnx(engine, new Uint8Array(readFileSync(`${MODELS}fmnist-lenet5.onnx`)));
  const lenet = new LeNet5(engine);
  await loadWeightsFile(lenet, `${MODELS}fmnist-lenet5.safetensors`);
  const fromOnnx = await predictions(engine, graph, COUNT);
  const fromClass = await predictions(engine, lenet, COUNT);
  const ort = await runOrt(new Uint8Array(readFileSync(`${MODELS}fmnist-lenet5.onnx`)), images, [
    COUNT,
    1,
    28,
    28,
  ]);
  const fromOrt = ortPredictions(ort.data, COUNT);
  expect(accuracy(fromOnnx)).toBe(accuracy(fromClass));
  expect(accuracy(fromOnnx)).toBe(accuracy(fromOrt));
  // A trained model, not chance: the full test set gives 0.9046.
  expect(accuracy(fromOnnx)).toBeGreaterThan(0.85);
});

it('LeNet5 and ResNet8 from @lowrank/models export to ONNX that matches their forward within 1e-4', async () => {
  const engine = createEngine({ backend: 'cpu', seed: 0 });
  for (const [model, file] of [
    [new LeNet5(engine), 'fmnist-lenet5'],
    [new ResNet8(engine), 'fmnist-resnet8'],
  ] as const) {
    await loadWeightsFile(model, `${MODELS}${file}.safetensors`);
    const bytes = await exportOnnx(model, { inputShape: [1, 28, 28] });
    const x = batch(200, 8);
    const ours = await runModule(engine, model, x, [8, 1, 28, 28]);
    const ort = await runOrt(bytes, x, [8, 1, 28, 28]);
    expect(maxAbsDiff(ours.data, ort.data)).toBeLessThan(1e-4);
    // And the PyTorch export of the same weights agrees.
    const reference = await runOrt(new Uint8Array(readFileSync(`${MODELS}${file}.onnx`)), x, [8, 1, 28, 28]);
    expect(maxAbsDiff(ort.data, reference.data)).toBeLessThan(1e-4);
  }
});
