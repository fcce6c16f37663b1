import { conv2dForward } from '../../packages/core/src/backends/cpu/kernels/conv2d.js';
import { gemm } from '../../packages/core/src/backends/cpu/kernels/gemm.js';
import type { Contender } from './contender.js';

/**
 * lowrank's side: the CPU backend's raw kernels, single-threaded TypeScript. This is the
 * one adapter to switch to the engine's public `matmul` / `conv2d` ops.
 */
export const ours: Contender = {
  name: 'lowrank (TS kernels)',
  async prepareMatmul({ n, a, b }) {
    const c = new Float32Array(n * n);
    return {
      run: () => {
        gemm({
          transA: false,
          transB: false,
          m: n,
          n,
          k: n,
          a,
          aOffset: 0,
          lda: n,
          b,
          bOffset: 0,
          ldb: n,
          c,
          cOffset: 0,
          ldc: n,
          accumulate: false,
        });
        return c;
      },
      read: (r) => r as Float32Array,
    };
  },
  async prepareConv({ x, xShape, w, wShape, pad }) {
    const p = { stride: [1, 1], padding: [pad, pad], dilation: [1, 1], groups: 1 } as const;
    return {
      run: () => conv2dForward(x, xShape, w, wShape, p),
      read: (r) => r as Float32Array,
    };
  },
};
