import { GPU, type IKernelRunShortcut, Input } from 'gpu.js';
import type { Contender, Prepared } from '../contender.js';

/**
 * gpu.js in its `webasm` mode: each kernel compiles to WebAssembly with an f32x4 SIMD body.
 * A synchronous call runs on the calling thread; with `async` the call returns a Promise
 * and the output is split over a worker pool (one worker per core). The kernels are
 * written the way gpu.js documents them: one thread per output cell, gathering its inputs.
 */
export function gpujs(async: boolean): Contender {
  const gpu = new GPU({ mode: 'webasm' });
  const kernels: IKernelRunShortcut[] = [];
  const make = (k: IKernelRunShortcut): IKernelRunShortcut => {
    const kernel = k.setPrecision('single').setAsyncMode(async);
    kernels.push(kernel);
    return kernel;
  };
  return {
    name: `gpu.js webasm ${async ? 'async (worker pool)' : 'sync'}`,
    note: async ? `threads: ${GPU.isWebAssemblySupported ? 'pool' : 'unsupported'}` : '1 thread',
    async prepareMatmul({ n, a, b }) {
      const kernel = make(
        gpu
          .createKernel(function (
            this: { thread: { x: number; y: number }; constants: { n: number } },
            a: number[][],
            b: number[][],
          ) {
            let sum = 0;
            for (let i = 0; i < this.constants.n; i++) sum += a[this.thread.y][i] * b[i][this.thread.x];
            return sum;
          })
          .setOutput([n, n])
          .setConstants({ n }),
      );
      return prepared(kernel, [grid(a, [n, n]), grid(b, [n, n])]);
    },
    async prepareConv({ x, xShape, w, wShape, pad }) {
      const [n, c, h, wd] = xShape;
      const [o, , kh, kw] = wShape;
      const ho = h + 2 * pad - kh + 1;
      const wo = wd + 2 * pad - kw + 1;
      type This = { thread: { x: number; y: number; z: number }; constants: Record<string, number> };
      const kernel = make(
        gpu
          .createKernel(function (this: This, x: number[][][], w: number[][][]) {
            const img = Math.floor(this.thread.z / this.constants.o);
            const oc = this.thread.z - img * this.constants.o;
            let sum = 0;
            for (let ci = 0; ci < this.constants.c; ci++) {
              for (let i = 0; i < this.constants.kh; i++) {
                const ih = this.thread.y - this.constants.pad + i;
                for (let j = 0; j < this.constants.kw; j++) {
                  const iw = this.thread.x - this.constants.pad + j;
                  if (ih >= 0 && ih < this.constants.h && iw >= 0 && iw < this.constants.w) {
                    sum += x[img * this.constants.c + ci][ih][iw] * w[oc * this.constants.c + ci][i][j];
                  }
                }
              }
            }
            return sum;
          })
          .setOutput([wo, ho, n * o])
          .setConstants({ o, c, kh, kw, h, w: wd, pad }),
      );
      return prepared(kernel, [grid(x, [wd, h, n * c]), grid(w, [kw, kh, o * c])]);
    },
    async close() {
      for (const k of kernels) k.destroy();
      await gpu.destroy();
    },
  };
}

/** A sync kernel returns the result, an async one a Promise of it; the harness awaits either. */
/** A flat array seen as a 2-d or 3-d grid (gpu.js's `input()`, which its typings declare only as a type). */
function grid(values: Float32Array, size: [number, number] | [number, number, number]): Input {
  return new Input(values as unknown as number[], size);
}

function prepared(kernel: IKernelRunShortcut, args: unknown[]): Prepared {
  const call = kernel as unknown as (...a: unknown[]) => unknown;
  return { run: () => call(...args), read: flatten };
}

/** gpu.js returns nested arrays of Float32Array rows: flatten to row-major. */
function flatten(r: unknown): Float32Array {
  const rows: Float32Array[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof Float32Array) rows.push(v);
    else for (const e of v as unknown[]) walk(e);
  };
  walk(r);
  const out = new Float32Array(rows.reduce((s, row) => s + row.length, 0));
  let at = 0;
  for (const row of rows) {
    out.set(row, at);
    at += row.length;
  }
  return out;
}
