import { readFile } from 'node:fs/promises';
import { FASHION_MNIST_NORMALIZATION, type FashionMnist } from '@lowrank/fashion-mnist';

/**
 * Top-1 accuracy of an .onnx file run by onnxruntime-node, on the first `count` images
 * with the same preprocessing as ours. onnxruntime-node is optional: it is loaded only
 * here, and its absence is an error that says how to install it.
 */
export async function onnxruntimeAccuracy(
  path: string,
  set: FashionMnist,
  count: number,
  batchSize = 250,
): Promise<number> {
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch {
    throw new Error(
      '--onnxruntime needs the onnxruntime-node package; install it beside @lowrank/cli (npm i onnxruntime-node)',
    );
  }
  const session = await ort.InferenceSession.create(new Uint8Array(await readFile(path)));
  try {
    const n = Math.min(count, set.count);
    const pixels = 28 * 28;
    const { scale, mean, std } = FASHION_MNIST_NORMALIZATION;
    let correct = 0;
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const x = new Float32Array(size * pixels);
      for (let i = 0; i < x.length; i++) x[i] = (set.images[start * pixels + i] * scale - mean) / std;
      const outputs = await session.run({
        [session.inputNames[0]]: new ort.Tensor('float32', x, [size, 1, 28, 28]),
      });
      const logits = outputs[session.outputNames[0]].data as Float32Array;
      const classes = logits.length / size;
      for (let s = 0; s < size; s++) {
        let best = 0;
        for (let c = 1; c < classes; c++) if (logits[s * classes + c] > logits[s * classes + best]) best = c;
        if (best === set.labels[start + s]) correct++;
      }
    }
    return correct / n;
  } finally {
    await session.release();
  }
}
