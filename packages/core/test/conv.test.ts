import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv2d } from '../src/index.js';
import { arbTensorData, expectAllClose, expectShape } from '../src/testing.js';
import { arbConvCase } from './arbitraries.js';
import * as ref from './reference.js';
import { f64, newEngine } from './util.js';

const engine = newEngine();

const arbConvData = arbConvCase.chain((c) =>
  fc.tuple(fc.constant(c), arbTensorData(c.xShape), arbTensorData(c.wShape), arbTensorData([c.wShape[0]])),
);

describe('conv2d', () => {
  it('float64 conv2d equals the naive definition to 1e-12 relative for random stride/padding (number, pair, 4-sided)/dilation/groups/kernel/bias', () => {
    fc.assert(
      fc.property(arbConvData, ([c, dx, dw, db]) =>
        engine.tidy(() => {
          const y = conv2d(
            f64(engine, dx, c.xShape),
            f64(engine, dw, c.wShape),
            c.bias ? f64(engine, db, [c.wShape[0]]) : null,
            {
              stride: c.stride,
              padding: c.padding,
              dilation: c.dilation,
              groups: c.groups,
            },
          );
          const want = ref.conv2d(
            dx,
            c.xShape,
            dw,
            c.wShape,
            { stride: c.stride, padding: c.pad4, dilation: c.dilation, groups: c.groups },
            c.bias ? db : undefined,
          );
          expectShape(y, want.shape);
          expect(y.dtype).toBe('float64');
          expectAllClose(y.dataSync(), want.data, { rtol: 1e-12, atol: 1e-13 });
        }),
      ),
      { numRuns: 50 },
    );
  });

  it('float32 conv2d agrees with the float64 reference to 1e-5 relative', () => {
    fc.assert(
      fc.property(arbConvData, ([c, dx, dw, db]) =>
        engine.tidy(() => {
          const [x32, w32, b32] = [dx, dw, db].map((d) => Float32Array.from(d));
          const y = conv2d(
            engine.fromData(Float32Array.from(x32), c.xShape),
            engine.fromData(Float32Array.from(w32), c.wShape),
            c.bias ? engine.fromData(Float32Array.from(b32), [c.wShape[0]]) : null,
            { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups },
          );
          expect(y.dtype).toBe('float32');
          const want = ref.conv2d(
            x32,
            c.xShape,
            w32,
            c.wShape,
            { stride: c.stride, padding: c.pad4, dilation: c.dilation, groups: c.groups },
            c.bias ? b32 : undefined,
          );
          expectAllClose(y.dataSync(), want.data, { rtol: 1e-5, atol: 1e-6 });
        }),
      ),
      { numRuns: 30 },
    );
  });

  it('a bigger case (LeNet-like 5x5 over 28x28, 6 channels) equals the reference to 1e-12', () => {
    const x = engine.rand([2, 1, 28, 28], { dtype: 'float64', seed: 1 });
    const w = engine.rand([6, 1, 5, 5], { dtype: 'float64', seed: 2, low: -1 });
    const b = engine.rand([6], { dtype: 'float64', seed: 3 });
    const y = conv2d(x, w, b, { padding: 2 });
    const want = ref.conv2d(
      x.dataSync(),
      [2, 1, 28, 28],
      w.dataSync(),
      [6, 1, 5, 5],
      { stride: [1, 1], padding: [2, 2, 2, 2], dilation: [1, 1], groups: 1 },
      b.dataSync(),
    );
    expectShape(y, [2, 6, 28, 28]);
    expectAllClose(y.dataSync(), want.data, { rtol: 1e-12, atol: 1e-13 });
  });

  it('validates shapes, groups, bias and the window', () => {
    const x = engine.zeros([1, 4, 5, 5]);
    expect(() => conv2d(engine.zeros([4, 5, 5]), engine.zeros([2, 4, 3, 3]))).toThrow(
      'conv2d: input must be [N, C, H, W], got [4, 5, 5]',
    );
    expect(() => conv2d(x, engine.zeros([2, 4, 3]))).toThrow(/weight must be \[O, C\/groups, Kh, Kw\]/);
    expect(() => conv2d(x, engine.zeros([3, 2, 3, 3]), null, { groups: 2 })).toThrow(
      'conv2d: groups=2 must divide the input channels (4) and the output channels (3)',
    );
    expect(() => conv2d(x, engine.zeros([2, 4, 3, 3]), null, { groups: 2 })).toThrow(
      'conv2d: weight [2, 4, 3, 3] expects 8 input channels with groups=2, input has 4',
    );
    expect(() => conv2d(x, engine.zeros([2, 4, 3, 3]), engine.zeros([3]))).toThrow(
      'conv2d: bias must be [2], got [3]',
    );
    expect(() => conv2d(x, engine.zeros([2, 4, 6, 3]))).toThrow(
      /kernel 6x3 .* does not fit the padded input 5x5/,
    );
    expect(() => conv2d(x, engine.zeros([2, 4, 3, 3]), null, { stride: 0 })).toThrow(
      'conv2d: stride must be positive integers, got 0',
    );
    expect(() => conv2d(x, engine.zeros([2, 4, 3, 3]), null, { padding: -1 })).toThrow(
      'padding must be non-negative integers, got -1',
    );
    expect(() => conv2d(x, engine.zeros([2, 4, 3, 3]), null, { dilation: [1, 1.5] })).toThrow(
      /dilation must be positive integers/,
    );
  });
});
