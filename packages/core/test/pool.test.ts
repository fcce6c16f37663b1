import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool2d, maxPool2d } from '../src/index.js';
import { arbTensorData, expectAllClose, expectShape } from '../src/testing.js';
import { arbPoolCase } from './arbitraries.js';
import * as ref from './reference.js';
import { f64, newEngine, RUNS, values } from './util.js';

const engine = newEngine();

describe('pooling', () => {
  it('maxPool2d equals the naive windows exactly for random kernel/stride/4-sided padding/dilation (float64)', () => {
    fc.assert(
      fc.property(
        arbPoolCase(true).chain((c) => fc.tuple(fc.constant(c), arbTensorData(c.xShape))),
        ([c, d]) =>
          engine.tidy(() => {
            const y = maxPool2d(f64(engine, d, c.xShape), c.kernel, {
              stride: c.stride,
              padding: c.pad4,
              dilation: c.dilation,
            });
            const want = ref.maxPool2d(d, c.xShape, {
              kernel: c.kernel,
              stride: c.stride ?? c.kernel,
              padding: c.pad4,
              dilation: c.dilation,
            });
            expectShape(y, want.shape);
            expectAllClose(y.dataSync(), want.data, { rtol: 0, atol: 0 });
          }),
      ),
      { numRuns: 50 },
    );
  });

  it('avgPool2d equals the naive windows to 1e-12 relative, with and without countIncludePad (float64)', () => {
    fc.assert(
      fc.property(
        arbPoolCase(false).chain((c) => fc.tuple(fc.constant(c), arbTensorData(c.xShape), fc.boolean())),
        ([c, d, countIncludePad]) =>
          engine.tidy(() => {
            const y = avgPool2d(f64(engine, d, c.xShape), c.kernel, {
              stride: c.stride,
              padding: c.pad4,
              countIncludePad,
            });
            const want = ref.avgPool2d(
              d,
              c.xShape,
              { kernel: c.kernel, stride: c.stride ?? c.kernel, padding: c.pad4, dilation: [1, 1] },
              countIncludePad,
            );
            expectShape(y, want.shape);
            expectAllClose(y.dataSync(), want.data, { rtol: 1e-12, atol: 1e-15 });
          }),
      ),
      { numRuns: 50 },
    );
  });

  it("adaptive average and max pooling equal PyTorch's adaptive windows (1e-12 relative / exact) for output sizes up to the input size + 1", () => {
    fc.assert(
      fc.property(
        fc
          .tuple(
            fc.integer({ min: 1, max: 2 }),
            fc.integer({ min: 1, max: 2 }),
            fc.integer({ min: 1, max: 7 }),
            fc.integer({ min: 1, max: 7 }),
          )
          .chain(([n, ch, h, w]) =>
            fc.tuple(
              fc.constant<number[]>([n, ch, h, w]),
              fc.tuple(fc.integer({ min: 1, max: h + 1 }), fc.integer({ min: 1, max: w + 1 })),
              arbTensorData([n, ch, h, w]),
            ),
          ),
        ([s, out, d]) =>
          engine.tidy(() => {
            const x = f64(engine, d, s);
            const avg = adaptiveAvgPool2d(x, out);
            const wantAvg = ref.adaptiveAvgPool2d(d, s, out);
            expectShape(avg, wantAvg.shape);
            expectAllClose(avg.dataSync(), wantAvg.data, { rtol: 1e-12, atol: 1e-15 });
            const mx = adaptiveMaxPool2d(x, out);
            expectAllClose(mx.dataSync(), ref.adaptiveMaxPool2d(d, s, out).data, { rtol: 0, atol: 0 });
          }),
      ),
      RUNS,
    );
  });

  it('float32 pooling agrees with the float64 reference to 1e-6 relative', () => {
    fc.assert(
      fc.property(
        arbPoolCase(false).chain((c) =>
          fc.tuple(fc.constant(c), arbTensorData(c.xShape, { dtype: 'float32' })),
        ),
        ([c, d]) =>
          engine.tidy(() => {
            const x = engine.fromData(Float32Array.from(d), c.xShape);
            const p = {
              kernel: c.kernel,
              stride: c.stride ?? c.kernel,
              padding: c.pad4,
              dilation: [1, 1] as [number, number],
            };
            expectAllClose(
              avgPool2d(x, c.kernel, { stride: c.stride, padding: c.pad4 }).dataSync(),
              ref.avgPool2d(d, c.xShape, p, true).data,
              {
                rtol: 1e-6,
                atol: 1e-7,
              },
            );
            expectAllClose(
              maxPool2d(x, c.kernel, { stride: c.stride, padding: c.pad4 }).dataSync(),
              ref.maxPool2d(d, c.xShape, p).data,
              {
                rtol: 0,
                atol: 0,
              },
            );
          }),
      ),
      RUNS,
    );
  });

  it('global pooling by a full-size kernel equals the plane mean and max', () => {
    const x = f64(engine, [1, 5, 3, 2, 0, 4, 9, 1, 2], [1, 1, 3, 3]);
    expect(values(avgPool2d(x, 3))).toEqual([3]);
    expect(values(maxPool2d(x, 3))).toEqual([9]);
    expect(values(adaptiveAvgPool2d(x, 1))).toEqual([3]);
  });

  it('validates the input rank, the padding and the window; average pooling has no dilation', () => {
    const x = engine.zeros([1, 1, 4, 4]);
    expect(() => maxPool2d(engine.zeros([1, 4, 4]), 2)).toThrow(
      'maxPool2d: input must be [N, C, H, W], got [1, 4, 4]',
    );
    expect(() => maxPool2d(x, 2, { padding: 2 })).toThrow(
      'maxPool2d: padding 2,2,2,2 must be at most half the kernel 2,2',
    );
    expect(() => avgPool2d(x, 5)).toThrow(/avgPool2d: kernel 5,5 does not fit the input \[1, 1, 4, 4\]/);
    expect(() => avgPool2d(x, 2, { dilation: 2 } as object)).toThrow(
      'avgPool2d: dilation is not supported, got 2',
    );
    expect(values(avgPool2d(f64(engine, [1, 2, 3, 4], [1, 1, 2, 2]), 2, { dilation: 1 } as object))).toEqual([
      2.5,
    ]);
    expect(() => adaptiveAvgPool2d(x, 0)).toThrow(/output size must be positive integers/);
    expect(() => adaptiveMaxPool2d(engine.zeros([4, 4]), 2)).toThrow(/input must be \[N, C, H, W\]/);
  });
});
