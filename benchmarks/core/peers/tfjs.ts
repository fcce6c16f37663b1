import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { Contender, ConvCase, ConvGradInputCase, Prepared } from '../contender.js';

/**
 * TensorFlow.js through tfjs-core, on its plain-JS CPU backend or its WebAssembly backend
 * (XNNPACK). In Node the wasm backend loads its .wasm binaries from disk once pointed at
 * the package's dist directory; no network is involved.
 */
export async function tfjs(backend: 'cpu' | 'wasm'): Promise<Contender> {
  let note: string | undefined;
  if (backend === 'wasm') {
    const require = createRequire(import.meta.url);
    setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}/dist/`);
    await use('wasm');
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    note = `${simd ? 'SIMD' : 'no SIMD'}, ${getThreadsCount()} thread(s)`;
  }
  return {
    name: `tfjs-backend-${backend}`,
    note,
    async prepareMatmul({ n, a, b }) {
      await use(backend);
      const ta = tf.tensor2d(a, [n, n]);
      const tb = tf.tensor2d(b, [n, n]);
      return timed(() => tf.matMul(ta, tb), [ta, tb]);
    },
    async prepareConv(c: ConvCase) {
      await use(backend);
      // tfjs's native layouts: NHWC activations, HWIO filters
      const [n, ch, h, w] = c.xShape;
      const [o, , kh, kw] = c.wShape;
      const x = tf.tidy(() => tf.transpose(tf.tensor4d(c.x, [n, ch, h, w]), [0, 2, 3, 1]));
      const f = tf.tidy(() => tf.transpose(tf.tensor4d(c.w, [o, ch, kh, kw]), [2, 3, 1, 0]));
      const pad: [[0, 0], [number, number], [number, number], [0, 0]] = [
        [0, 0],
        [c.pad, c.pad],
        [c.pad, c.pad],
        [0, 0],
      ];
      return timed(
        () => tf.conv2d(x, f, 1, pad),
        [x, f],
        (data, shape) =>
          tf.tidy(
            () => tf.transpose(tf.tensor4d(data, shape as Shape4), [0, 3, 1, 2]).dataSync() as Float32Array,
          ),
      );
    },
    async prepareConvGradInput(c: ConvGradInputCase) {
      await use(backend);
      const [n, ch, h, w] = c.xShape;
      const [o, , kh, kw] = c.wShape;
      const [ho, wo] = [h + 2 * c.pad - kh + 1, w + 2 * c.pad - kw + 1];
      // conv2dTranspose is tfjs's Conv2DBackpropInput: dy NHWC, the forward conv's HWIO filter
      const dy = tf.tidy(() => tf.transpose(tf.tensor4d(c.dy, [n, o, ho, wo]), [0, 2, 3, 1]));
      const f = tf.tidy(() => tf.transpose(tf.tensor4d(c.w, [o, ch, kh, kw]), [2, 3, 1, 0]));
      const pad: [[0, 0], [number, number], [number, number], [0, 0]] = [
        [0, 0],
        [c.pad, c.pad],
        [c.pad, c.pad],
        [0, 0],
      ];
      return timed(
        () => tf.conv2dTranspose(dy as tf.Tensor4D, f as tf.Tensor4D, [n, h, w, ch], 1, pad),
        [dy, f],
        (data, shape) =>
          tf.tidy(
            () => tf.transpose(tf.tensor4d(data, shape as Shape4), [0, 3, 1, 2]).dataSync() as Float32Array,
          ),
      );
    },
  };
}

async function use(backend: string): Promise<void> {
  if (tf.getBackend() !== backend && !(await tf.setBackend(backend)))
    throw new Error(`tfjs backend ${backend} failed to start`);
}

type Shape4 = [number, number, number, number];

interface TfResult {
  data: Float32Array;
  shape: number[];
}

/** The timed run computes and reads back (dataSync), as a caller needing the values would. */
function timed(
  op: () => tf.Tensor,
  inputs: tf.Tensor[],
  toOurs: (data: Float32Array, shape: number[]) => Float32Array = (data) => data,
): Prepared {
  return {
    run: (): TfResult => {
      const t = op();
      const result = { data: t.dataSync() as Float32Array, shape: t.shape };
      t.dispose();
      return result;
    },
    read: (r) => toOurs((r as TfResult).data, (r as TfResult).shape),
    dispose: () => tf.dispose(inputs),
  };
}
