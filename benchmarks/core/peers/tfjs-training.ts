import { createRequire, register } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

// tfjs-core's Node bundle has no gradients; they are registered by its ESM files, whose
// extensionless imports need the resolve hook. Its registries are global, so the
// gradients serve the bundle's engine.
register(new URL('./tfjs-esm-resolve.mjs', import.meta.url));
await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');

/**
 * LeNet-5 and ResNet-8 of @lowrank/models written with tfjs-core ops in tfjs's native
 * NHWC layout, trained by the same step as ours: softmax cross-entropy (mean over the
 * batch), gradients of every parameter, SGD with momentum 0.9. Batch norm uses the batch
 * statistics (training mode); the running averages are not kept (C-long updates, noise).
 */

export type TfjsBackend = 'cpu' | 'wasm';
export type ModelName = 'LeNet-5' | 'ResNet-8';

/** One training step on fixed data; dispose frees its variables. */
export interface TrainingStep {
  step(): void;
  dispose(): void;
}

export async function useTfjs(backend: TfjsBackend): Promise<string | undefined> {
  if (backend === 'wasm') {
    const require = createRequire(import.meta.url);
    setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}/dist/`);
  }
  if (tf.getBackend() !== backend && !(await tf.setBackend(backend)))
    throw new Error(`tfjs backend ${backend} failed to start`);
  if (backend !== 'wasm') return undefined;
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return `${simd ? 'SIMD' : 'no SIMD'}, ${getThreadsCount()} thread(s)`;
}

type Forward = (x: tf.Tensor4D) => tf.Tensor2D;

/** Parameters made by one model, in creation order, with a fixed seed. */
class Params {
  readonly list: tf.Variable[] = [];
  private seed = 1;
  normal(shape: number[], fanIn: number): tf.Variable {
    return this.add(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', this.seed++));
  }
  constant(shape: number[], value: number): tf.Variable {
    return this.add(tf.fill(shape, value));
  }
  private add(t: tf.Tensor): tf.Variable {
    const v = tf.variable(t);
    t.dispose();
    this.list.push(v);
    return v;
  }
}

type Pad = [[0, 0], [number, number], [number, number], [0, 0]];
const pad = (p: number): Pad => [
  [0, 0],
  [p, p],
  [p, p],
  [0, 0],
];

/** A conv with PyTorch's symmetric padding; filters HWIO. */
function conv(
  p: Params,
  inC: number,
  outC: number,
  k: number,
  stride: number,
  padding: number,
  bias: boolean,
) {
  const w = p.normal([k, k, inC, outC], inC * k * k);
  const b = bias ? p.constant([outC], 0) : null;
  return (x: tf.Tensor4D): tf.Tensor4D => {
    const y = tf.conv2d(x, w as tf.Tensor4D, stride, pad(padding));
    return b ? (tf.add(y, b) as tf.Tensor4D) : y;
  };
}

/** Batch norm over N, H, W with the batch statistics, eps 1e-5 (PyTorch's). */
function batchNorm(p: Params, c: number) {
  const gamma = p.constant([c], 1);
  const beta = p.constant([c], 0);
  return (x: tf.Tensor4D): tf.Tensor4D => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5) as tf.Tensor4D;
  };
}

function linear(p: Params, inF: number, outF: number) {
  const w = p.normal([inF, outF], inF);
  const b = p.constant([outF], 0);
  return (x: tf.Tensor2D): tf.Tensor2D => tf.add(tf.matMul(x, w), b);
}

function lenet5(p: Params): Forward {
  const conv1 = conv(p, 1, 6, 5, 1, 2, true);
  const conv2 = conv(p, 6, 16, 5, 1, 0, true);
  const fc1 = linear(p, 16 * 5 * 5, 120);
  const fc2 = linear(p, 120, 84);
  const fc3 = linear(p, 84, 10);
  return (x) => {
    let h = tf.maxPool(tf.relu(conv1(x)), 2, 2, 'valid');
    h = tf.maxPool(tf.relu(conv2(h)), 2, 2, 'valid');
    const flat = tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D;
    return fc3(tf.relu(fc2(tf.relu(fc1(flat)))));
  };
}

function basicBlock(p: Params, inC: number, outC: number, stride: number) {
  const c1 = conv(p, inC, outC, 3, stride, 1, false);
  const b1 = batchNorm(p, outC);
  const c2 = conv(p, outC, outC, 3, 1, 1, false);
  const b2 = batchNorm(p, outC);
  const shortConv = stride !== 1 || inC !== outC ? conv(p, inC, outC, 1, stride, 0, false) : null;
  const shortBn = shortConv ? batchNorm(p, outC) : null;
  return (x: tf.Tensor4D): tf.Tensor4D => {
    const main = b2(c2(tf.relu(b1(c1(x)))));
    const skip = shortConv && shortBn ? shortBn(shortConv(x)) : x;
    return tf.relu(tf.add(main, skip)) as tf.Tensor4D;
  };
}

function resnet8(p: Params): Forward {
  const stemConv = conv(p, 1, 16, 3, 1, 1, false);
  const stemBn = batchNorm(p, 16);
  const blocks = [basicBlock(p, 16, 16, 1), basicBlock(p, 16, 32, 2), basicBlock(p, 32, 64, 2)];
  const fc = linear(p, 64, 10);
  return (x) => {
    let h = tf.relu(stemBn(stemConv(x)));
    for (const block of blocks) h = block(h);
    return fc(tf.mean(h, [1, 2]) as tf.Tensor2D);
  };
}

/**
 * A training step of `model` on tfjs's current backend. `images` is [N, 1, 28, 28]
 * (ours, NCHW) and is transposed once to NHWC; `labels` are class indices.
 */
export function tfjsTrainingStep(
  model: ModelName,
  images: Float32Array,
  batch: number,
  labels: Int32Array,
): TrainingStep {
  const params = new Params();
  const forward = model === 'LeNet-5' ? lenet5(params) : resnet8(params);
  const x = tf.tidy(() => tf.transpose(tf.tensor4d(images, [batch, 1, 28, 28]), [0, 2, 3, 1])) as tf.Tensor4D;
  const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const optimizer = tf.train.momentum(0.01, 0.9);
  return {
    step() {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(onehot, forward(x)) as tf.Scalar,
          params.list,
        );
        optimizer.applyGradients(grads as Parameters<typeof optimizer.applyGradients>[0]);
        // reading the loss waits for the step to finish, as ours does
        value.dataSync();
      });
    },
    dispose() {
      optimizer.dispose();
      tf.dispose([x, onehot, ...params.list]);
    },
  };
}
