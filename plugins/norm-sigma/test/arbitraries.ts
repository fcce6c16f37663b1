import { type Engine, type LayerInfo, layerInfo, nn } from '@lowrank/core';
import * as fc from 'fast-check';

const channels = fc.integer({ min: 1, max: 6 });
const small = (max: number) => fc.integer({ min: 1, max });
const side = fc.integer({ min: 5, max: 9 });
const pad = fc.integer({ min: 0, max: 2 });

/** A float64 layer to calibrate, with the shape of one input sample. */
export interface LayerCase {
  build: (engine: Engine) => { module: nn.Conv2d | nn.Linear; info: LayerInfo };
  sample: readonly number[];
}

/** Conv layers with random stride, 4-sided padding, dilation, rectangular kernels and input sizes. */
export const convCases: fc.Arbitrary<LayerCase> = fc
  .record({
    o: channels,
    i: channels,
    kernel: fc.tuple(small(3), small(3)),
    stride: fc.tuple(small(2), small(2)),
    padding: fc.tuple(pad, pad, pad, pad),
    dilation: fc.tuple(small(2), small(2)),
    input: fc.tuple(side, side),
  })
  .map(({ o, i, kernel, stride, padding, dilation, input }) => ({
    build: (engine: Engine) => {
      const module = new nn.Conv2d(engine, i, o, kernel, {
        stride,
        padding,
        dilation,
        bias: false,
        dtype: 'float64',
      });
      return { module, info: layerInfo('features.3', module, input) };
    },
    sample: [i, ...input],
  }));

/** Linear layers O x I (inputs [N, I]). */
export const linearCases: fc.Arbitrary<LayerCase> = fc
  .record({ o: channels, i: fc.integer({ min: 1, max: 12 }) })
  .map(({ o, i }) => ({
    build: (engine: Engine) => {
      const module = new nn.Linear(engine, i, o, { bias: false, dtype: 'float64' });
      return { module, info: layerInfo('classifier.1', module) };
    },
    sample: [i],
  }));

export const layerCases: fc.Arbitrary<LayerCase> = fc.oneof(convCases, linearCases);

/** All im2col patches of a conv input `[N, C, H, W]`, computed directly from the definition. */
export function naivePatches(info: LayerInfo, data: ArrayLike<number>, shape: readonly number[]): number[][] {
  if (info.kind === 'linear') {
    const p = info.inChannels;
    return Array.from({ length: data.length / p }, (_, r) =>
      Array.from({ length: p }, (_, j) => data[r * p + j]),
    );
  }
  const [n, c, h, w] = shape;
  const [kh, kw] = info.kernel;
  const [sh, sw] = info.stride;
  const [dh, dw] = info.dilation;
  const [top, bottom, left, right] = info.padding;
  const ho = Math.floor((h + top + bottom - dh * (kh - 1) - 1) / sh) + 1;
  const wo = Math.floor((w + left + right - dw * (kw - 1) - 1) / sw) + 1;
  const pixel = (s: number, ci: number, y: number, x: number) =>
    y < 0 || y >= h || x < 0 || x >= w ? 0 : data[((s * c + ci) * h + y) * w + x];
  const rows: number[][] = [];
  for (let s = 0; s < n; s++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++) {
        const row: number[] = [];
        for (let ci = 0; ci < c; ci++)
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++)
              row.push(pixel(s, ci, oy * sh - top + ky * dh, ox * sw - left + kx * dw));
        rows.push(row);
      }
  return rows;
}
