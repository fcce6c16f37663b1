import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TensorInfo } from '../src/backend.js';
import { CpuBackend } from '../src/backends/cpu/cpu-backend.js';
import type { DType } from '../src/dtype.js';
import { createEngine, type Engine } from '../src/engine.js';
import type { OptionalKernelAttrs, OptionalKernelName } from '../src/kernels.js';
import { BatchNorm2d } from '../src/nn/batch-norm.js';
import { batchNorm } from '../src/ops/batch-norm.js';
import { conv2d } from '../src/ops/conv.js';
import { add, mul, relu, sub } from '../src/ops/elementwise.js';
import { maxPool2d } from '../src/ops/pool.js';
import { sum } from '../src/ops/reduce.js';
import { broadcastTo } from '../src/ops/shape.js';
import type { Tensor } from '../src/tensor.js';
import { expectAllClose } from '../src/testing.js';
import * as ref from './reference.js';
import { RUNS } from './util.js';

/*
 * The CPU backend's fused kernels (batchNorm, batchNormGrad, reluGrad) and its in-order
 * paths (sums over non-trailing axes, broadcasts over merged axes, 2x2 max pooling)
 * against simple references: nested loops in float64, and the composite of required
 * kernels that a backend without the fused ones runs. float64 agrees to 1e-10; float32
 * to float32 rounding (rtol 1e-5 on normalised values).
 */

/** The CPU backend without its optional kernels: core runs the composites (as on WebGPU). */
class CompositeCpuBackend extends CpuBackend {
  override readonly optionalKernels: ReadonlySet<OptionalKernelName> = new Set();
}

/** The CPU backend, counting the optional kernels it runs. */
class CountingCpuBackend extends CpuBackend {
  readonly ran: string[] = [];
  override runOptionalKernel<K extends OptionalKernelName>(
    name: K,
    inputs: readonly TensorInfo[],
    attrs: OptionalKernelAttrs[K],
  ): TensorInfo[] {
    this.ran.push(name);
    return super.runOptionalKernel(name, inputs, attrs);
  }
}

const fused = (): Engine => createEngine({ seed: 0 });
const composite = (): Engine => createEngine({ backend: new CompositeCpuBackend(), seed: 0 });

function random(n: number, seed: number, scale = 1, shift = 0): Float64Array {
  let s = seed >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    // float32 values, so that float32 and float64 runs start from the same inputs
    out[i] = Math.fround(shift + scale * ((s >>> 0) / 2 ** 31 - 1));
  }
  return out;
}

function tensor(engine: Engine, data: Float64Array, shape: number[], dtype: DType): Tensor {
  return engine.fromData(dtype === 'float64' ? Float64Array.from(data) : Float32Array.from(data), shape);
}

/** Training batch norm by its definition: per channel over every other axis, in float64. */
function batchNormRef(
  x: ArrayLike<number>,
  shape: number[],
  w: ArrayLike<number> | null,
  b: ArrayLike<number> | null,
  eps: number,
) {
  const c = shape[1];
  const axes = shape.flatMap((_, i) => (i === 1 ? [] : [i]));
  const count = ref.size(shape) / c;
  const mean = ref.reduce(x, shape, axes, 0, (a, v) => a + v).data.map((s) => s / count);
  const y = new Float64Array(x.length);
  const variance = new Float64Array(c);
  let k = 0;
  for (const idx of ref.indices(shape)) variance[idx[1]] += (x[k++] - mean[idx[1]]) ** 2 / count;
  k = 0;
  for (const idx of ref.indices(shape)) {
    const ch = idx[1];
    y[k] = ((x[k] - mean[ch]) / Math.sqrt(variance[ch] + eps)) * (w ? w[ch] : 1) + (b ? b[ch] : 0);
    k++;
  }
  return { y, mean, variance };
}

interface BnCase {
  shape: number[];
  affine: boolean;
  seed: number;
  shift: number;
}

const arbBnCase: fc.Arbitrary<BnCase> = fc.record({
  shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 4 }),
  affine: fc.boolean(),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
  shift: fc.double({ min: -3, max: 3, noNaN: true }),
});

/** y, and the gradients of sum(y * g) for a fixed g, on one engine. */
function runBatchNorm(engine: Engine, c: BnCase, dtype: DType) {
  const channels = c.shape[1];
  const x = tensor(engine, random(ref.size(c.shape), c.seed, 2, c.shift), c.shape, dtype);
  x.requiresGrad = true;
  const w = c.affine ? tensor(engine, random(channels, c.seed + 1, 1, 1), [channels], dtype) : null;
  const b = c.affine ? tensor(engine, random(channels, c.seed + 2), [channels], dtype) : null;
  if (w && b) {
    w.requiresGrad = true;
    b.requiresGrad = true;
  }
  const runningMean = engine.zeros([channels], dtype);
  const runningVar = engine.ones([channels], dtype);
  const g = tensor(engine, random(ref.size(c.shape), c.seed + 3), c.shape, dtype);
  const y = batchNorm(x, { weight: w, bias: b, runningMean, runningVar, training: true });
  const [dx, dw, db] = engine.gradients(sum(mul(y, g)), w && b ? [x, w, b] : [x]);
  const read = (t: Tensor | undefined) => (t ? Array.from(t.dataSync()) : []);
  return {
    x: read(x),
    w: w ? read(w) : null,
    b: b ? read(b) : null,
    y: read(y),
    dx: read(dx),
    dw: read(dw),
    db: read(db),
    runningMean: read(runningMean),
    runningVar: read(runningVar),
  };
}

describe('fused batch norm (CPU)', () => {
  it('the CPU backend runs conv with bias, training batch norm and the relu gradient as its fused kernels', () => {
    const backend = new CountingCpuBackend();
    const engine = createEngine({ backend, seed: 0 });
    const x = engine.randn([2, 3, 4, 4]);
    x.requiresGrad = true;
    const bn = new BatchNorm2d(engine, 3);
    const w = engine.randn([3, 3, 3, 3]);
    const b = engine.randn([3]);
    engine.gradients(sum(relu(bn.call(conv2d(x, w, b, { padding: 1 })))), [x, bn.weight!]);
    expect(backend.ran.sort()).toEqual(['batchNorm', 'batchNormGrad', 'conv2dBias', 'reluGrad']);
  });

  it('float64 y equals the definition to 1e-10 and the gradients equal the composite to 1e-10 on random shapes', () => {
    fc.assert(
      fc.property(arbBnCase, (c) => {
        const a = runBatchNorm(fused(), c, 'float64');
        const e = runBatchNorm(composite(), c, 'float64');
        const r = batchNormRef(a.x, c.shape, a.w, a.b, 1e-5);
        const tol = { rtol: 1e-10, atol: 1e-10 };
        expectAllClose(a.y, r.y, { ...tol, label: 'y' });
        expectAllClose(a.y, e.y, { ...tol, label: 'y vs composite' });
        expectAllClose(a.dx, e.dx, { ...tol, label: 'dx' });
        expectAllClose(a.dw, e.dw, { ...tol, label: 'dweight' });
        expectAllClose(a.db, e.db, { ...tol, label: 'dbias' });
        expectAllClose(a.runningMean, e.runningMean, { ...tol, label: 'running mean' });
        expectAllClose(a.runningVar, e.runningVar, { ...tol, label: 'running var' });
      }),
      RUNS,
    );
  });

  it('float32 y and gradients equal the float64 composite to float32 rounding (rtol 1e-5) on random shapes', () => {
    fc.assert(
      fc.property(arbBnCase, (c) => {
        const a = runBatchNorm(fused(), c, 'float32');
        const e = runBatchNorm(composite(), c, 'float64');
        // a channel of one value normalises to 0 exactly: its dx is pure rounding noise
        const tol = { rtol: 1e-5, atol: 2e-5 };
        expectAllClose(a.y, e.y, { ...tol, label: 'y' });
        expectAllClose(a.dx, e.dx, { rtol: 1e-4, atol: 1e-4, label: 'dx' });
        expectAllClose(a.dw, e.dw, { ...tol, atol: 1e-4, label: 'dweight' });
        expectAllClose(a.db, e.db, { ...tol, atol: 1e-4, label: 'dbias' });
        expectAllClose(a.runningMean, e.runningMean, { ...tol, label: 'running mean' });
        expectAllClose(a.runningVar, e.runningVar, { ...tol, label: 'running var' });
      }),
      RUNS,
    );
  });

  it('BatchNorm2d trains the same on the fused and the composite path (float32, three steps, rtol 1e-5)', () => {
    const losses = (engine: Engine) => {
      const bn = new BatchNorm2d(engine, 3);
      const x = engine.keep(tensor(engine, random(4 * 3 * 5 * 5, 7, 2, 0.5), [4, 3, 5, 5], 'float32'));
      const out: number[] = [];
      for (let step = 0; step < 3; step++) {
        engine.tidy(() => {
          const loss = sum(mul(bn.call(x), bn.call(x)));
          const grads = engine.gradients(loss, [bn.weight!, bn.bias!]);
          engine.noGrad(() => {
            bn.weight!.assign(sub(bn.weight!, mul(grads[0], 0.01)));
            bn.bias!.assign(sub(bn.bias!, mul(grads[1], 0.01)));
          });
          out.push(loss.dataSync()[0]);
        });
      }
      return [...out, ...bn.runningMean.dataSync(), ...bn.runningVar.dataSync(), ...bn.weight!.dataSync()];
    };
    expectAllClose(losses(fused()), losses(composite()), { rtol: 1e-5, atol: 1e-5 });
  });

  it('mixed dtypes (float64 input, float32 weights) take the composite path and give its result exactly', () => {
    const run = (engine: Engine) => {
      const x = tensor(engine, random(2 * 2 * 3, 3), [2, 2, 3], 'float64');
      const w = engine.ones([2]);
      const b = engine.zeros([2]);
      return Array.from(batchNorm(x, { weight: w, bias: b, training: true }).dataSync());
    };
    expect(run(fused())).toEqual(run(composite()));
  });
});

describe('optional kernels in the engine', () => {
  it('a backend without them reports none, and running one anyway is a clear error', () => {
    const engine = composite();
    const x = engine.ones([2]);
    expect(engine.hasOptionalKernel('batchNorm')).toBe(false);
    expect(() => engine.runOptionalKernel('reluGrad', [x, x], {})).toThrow(/no optional kernel 'reluGrad'/);
    expect(fused().hasOptionalKernel('batchNorm')).toBe(true);
  });
});

describe('fused conv2d with bias (CPU)', () => {
  it('y and the gradients of x, w and bias equal conv2d + bias on the composite path: float64 to 1e-10, float32 to rtol 1e-5', () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 1, max: 3 }),
          c: fc.integer({ min: 1, max: 4 }),
          o: fc.integer({ min: 1, max: 5 }),
          hw: fc.integer({ min: 3, max: 7 }),
          k: fc.integer({ min: 1, max: 3 }),
          stride: fc.integer({ min: 1, max: 2 }),
          padding: fc.integer({ min: 0, max: 1 }),
          seed: fc.integer({ min: 1, max: 2 ** 30 }),
        }),
        (c) => {
          const run = (engine: Engine, dtype: DType) => {
            const x = tensor(engine, random(c.n * c.c * c.hw * c.hw, c.seed), [c.n, c.c, c.hw, c.hw], dtype);
            const w = tensor(engine, random(c.o * c.c * c.k * c.k, c.seed + 1), [c.o, c.c, c.k, c.k], dtype);
            const b = tensor(engine, random(c.o, c.seed + 2), [c.o], dtype);
            for (const t of [x, w, b]) t.requiresGrad = true;
            const y = conv2d(x, w, b, { stride: c.stride, padding: c.padding });
            const g = tensor(engine, random(y.size, c.seed + 3), [...y.shape], dtype);
            const grads = engine.gradients(sum(mul(y, g)), [x, w, b]);
            return [y, ...grads].map((t) => Array.from(t.dataSync()));
          };
          const expected = run(composite(), 'float64');
          run(fused(), 'float64').forEach((v, i) => {
            expectAllClose(v, expected[i], { rtol: 1e-10, atol: 1e-10, label: `float64 output ${i}` });
          });
          run(fused(), 'float32').forEach((v, i) => {
            expectAllClose(v, expected[i], { rtol: 1e-5, atol: 1e-5, label: `float32 output ${i}` });
          });
        },
      ),
      RUNS,
    );
  });
});

describe('fused relu gradient (CPU)', () => {
  it('equals mul(dy, greater(x, 0)) bit for bit, NaN, infinities and signed zeros included, on random shapes', () => {
    const specials = [0, -0, 1, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2.5e-8];
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.constantFrom<DType>('float32', 'float64'),
        (shape, seed, dtype) => {
          const n = ref.size(shape);
          const xs = random(n, seed).map((v, i) =>
            i % 3 === 0 ? specials[(i + seed) % specials.length] : v,
          );
          const dys = random(n, seed + 1).map((v, i) =>
            i % 4 === 1 ? specials[(i * 7 + seed) % specials.length] : v,
          );
          const grad = (engine: Engine) => {
            const x = tensor(engine, xs, shape, dtype);
            x.requiresGrad = true;
            const [dx] = engine.gradients(relu(x), [x], { grad: tensor(engine, dys, shape, dtype) });
            return Array.from(dx.dataSync());
          };
          const a = grad(fused());
          const e = grad(composite());
          // Object.is tells -0 from 0 and NaN equals NaN
          expect(a.map((v, i) => Object.is(v, e[i]))).toEqual(a.map(() => true));
        },
      ),
      RUNS,
    );
  });
});

describe('in-order CPU paths', () => {
  it('sum over any axes equals the float64 definition to 1e-10 (float64) and 1e-6 (float32) on random shapes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        (shape, seed, pick) => {
          const axes = shape.flatMap((_, i) => (pick[i] ? [i] : []));
          const data = random(ref.size(shape), seed);
          const expected = ref.reduce(data, shape, axes, 0, (a, v) => a + v);
          for (const [dtype, tol] of [
            ['float64', 1e-10],
            ['float32', 1e-6],
          ] as const) {
            const engine = fused();
            const y = sum(tensor(engine, data, shape, dtype), axes);
            expect(y.shape).toEqual(expected.shape);
            const x32 =
              dtype === 'float32'
                ? ref.reduce(Float32Array.from(data), shape, axes, 0, (a, v) => a + v)
                : expected;
            expectAllClose(y.dataSync(), x32.data, {
              rtol: tol,
              atol: tol,
              label: `${dtype} sum over [${axes}]`,
            });
          }
        },
      ),
      RUNS,
    );
  });

  it('broadcast add, sub and mul over per-channel and random shapes equal the definition exactly (float64)', () => {
    const perChannel = fc
      .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }))
      .chain(([n, c, hw]) =>
        fc.constantFrom<[number[], number[]]>(
          [
            [n, c, hw, hw],
            [1, c, 1, 1],
          ],
          [
            [n, c, hw, hw],
            [c, 1, 1],
          ],
          [
            [1, c, 1, 1],
            [n, c, hw, hw],
          ],
          [
            [n, c, hw, 1],
            [1, 1, 1, hw],
          ],
        ),
      );
    const randomPair = fc
      .array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 5 })
      .chain((out) =>
        fc
          .tuple(
            fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
            fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
          )
          .map(([oa, ob]): [number[], number[]] => [
            out.map((d, i) => (oa[i] ? 1 : d)),
            out.map((d, i) => (ob[i] ? 1 : d)),
          ]),
      );
    fc.assert(
      fc.property(
        fc.oneof(perChannel, randomPair),
        fc.integer({ min: 1, max: 2 ** 30 }),
        ([as, bs], seed) => {
          const engine = fused();
          const a = random(ref.size(as), seed);
          const b = random(ref.size(bs), seed + 1);
          const ta = tensor(engine, a, as, 'float64');
          const tb = tensor(engine, b, bs, 'float64');
          for (const [op, f] of [
            [add, (x: number, y: number) => x + y],
            [sub, (x: number, y: number) => x - y],
            [mul, (x: number, y: number) => x * y],
          ] as const) {
            const expected = ref.binary(a, as, b, bs, f);
            const y = op(ta, tb);
            expect(y.shape).toEqual(expected.shape);
            expect(Array.from(y.dataSync())).toEqual(Array.from(expected.data));
          }
          // broadcastTo walks the same merged axes
          const out = ref.broadcastShape(as, bs);
          const spread = ref.binary(a, as, new Float64Array(ref.size(out)), out, (x) => x);
          expect(Array.from(broadcastTo(ta, out).dataSync())).toEqual(Array.from(spread.data));
        },
      ),
      RUNS,
    );
  });

  it('2x2 stride-2 max pooling equals the definition, the first maximum winning ties and NaN winning (float32 and float64)', () => {
    fc.assert(
      fc.property(
        fc.tuple(
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 2, max: 9 }),
          fc.integer({ min: 2, max: 9 }),
        ),
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.constantFrom<DType>('float32', 'float64'),
        // padding only below or right leaves the top-left corner of every window at
        // (2i, 2j) while some windows reach the padding: the written-out loop must not run
        fc.constantFrom<[number, number, number, number]>(
          [0, 0, 0, 0],
          [0, 1, 0, 1],
          [0, 0, 0, 1],
          [1, 1, 1, 1],
        ),
        (shape, seed, dtype, padding) => {
          // few distinct values make ties common; some NaNs
          const data = random(ref.size(shape), seed).map((v, i) =>
            (i * seed) % 17 === 3 ? Number.NaN : Math.round(v * 2) / 2,
          );
          const engine = fused();
          const p = {
            kernel: [2, 2] as [number, number],
            stride: [2, 2] as [number, number],
            padding,
            dilation: [1, 1] as [number, number],
          };
          const y = maxPool2d(tensor(engine, data, shape, dtype), 2, { padding });
          const expected = ref.maxPool2d(data, shape, p);
          expect(y.shape).toEqual(expected.shape);
          // -0 and 0 tie (Math.max in the reference picks 0)
          expect(Array.from(y.dataSync(), (v) => v + 0)).toEqual(Array.from(expected.data, (v) => v + 0));
          if (padding.some((d) => d > 0)) return;
          // the gradient lands on the first maximum (or the NaN) of each window
          const x = tensor(engine, data, shape, dtype);
          x.requiresGrad = true;
          const [dx] = engine.gradients(sum(maxPool2d(x, 2)), [x]);
          const [n, c, h, w] = shape;
          const grad = dx.dataSync();
          for (let plane = 0; plane < n * c; plane++) {
            for (let oh = 0; oh < Math.floor(h / 2); oh++) {
              for (let ow = 0; ow < Math.floor(w / 2); ow++) {
                const taps = [0, 1, w, w + 1].map((d) => plane * h * w + 2 * oh * w + 2 * ow + d);
                const vals = taps.map((t) => (dtype === 'float32' ? Math.fround(data[t]) : data[t]));
                let nan = -1;
                vals.forEach((v, i) => {
                  if (Number.isNaN(v)) nan = i;
                });
                const winner = nan >= 0 ? nan : vals.indexOf(Math.max(...vals));
                expect(taps.map((t) => grad[t])).toEqual(taps.map((_, i) => (i === winner ? 1 : 0)));
              }
            }
          }
        },
      ),
      RUNS,
    );
  });
});
