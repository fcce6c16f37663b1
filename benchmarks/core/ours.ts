import { conv2d, createEngine, matmul, type Tensor } from '@lowrank/core';
import type { Contender } from './contender.js';

const engine = createEngine();

/**
 * lowrank's side through the engine's public ops (`matmul`, `conv2d`) on the CPU
 * backend, so the numbers include what a user pays: op dispatch, allocation and the
 * read-back of the result.
 */
export const ours: Contender = {
  name: 'lowrank (CPU backend)',
  note: 'one thread; GEMM micro-kernel in WebAssembly SIMD (f32x4 for float32, f64x2 for float64) where available, else JS',
  async prepareMatmul({ n, a, b }) {
    const ta = engine.fromData(a.slice(), [n, n]);
    const tb = engine.fromData(b.slice(), [n, n]);
    return {
      run: () => readAndDispose(matmul(ta, tb)),
      read: (r) => r as Float32Array,
      dispose: () => {
        ta.dispose();
        tb.dispose();
      },
    };
  },
  async prepareConv({ x, xShape, w, wShape, pad }) {
    const tx = engine.fromData(x.slice(), xShape);
    const tw = engine.fromData(w.slice(), wShape);
    return {
      run: () => readAndDispose(conv2d(tx, tw, null, { padding: pad })),
      read: (r) => r as Float32Array,
      dispose: () => {
        tx.dispose();
        tw.dispose();
      },
    };
  },
  async prepareConvGradInput({ dy, xShape, w, wShape, pad }) {
    const [n, , h, wd] = xShape;
    const [o, , kh, kw] = wShape;
    const tdy = engine.fromData(dy.slice(), [n, o, h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1]);
    const tw = engine.fromData(w.slice(), wShape);
    // the kernel that conv2d's backward pass runs for x
    const attrs = {
      stride: [1, 1] as [number, number],
      padding: [pad, pad, pad, pad] as [number, number, number, number],
      dilation: [1, 1] as [number, number],
      groups: 1,
      inputShape: [...xShape],
    };
    return {
      run: () => readAndDispose(engine.runKernel('conv2dGradInput', [tdy, tw], attrs)[0]),
      read: (r) => r as Float32Array,
      dispose: () => {
        tdy.dispose();
        tw.dispose();
      },
    };
  },
};

function readAndDispose(t: Tensor): Float32Array {
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}
