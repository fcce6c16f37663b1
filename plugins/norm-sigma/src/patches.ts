import { type LayerInfo, outputSize } from '@lowrank/core';

/** `P`, the length of one patch: `I*Kh*Kw` for a conv layer, `I` for a linear one. */
export function patchLength(layer: LayerInfo): number {
  return layer.inChannels * layer.kernel[0] * layer.kernel[1];
}

/** Patches per sample: the conv's output positions at this input size (1 for linear). */
export function positionsPerSample(layer: LayerInfo, height: number, width: number): number {
  const [ho, wo] = outputPositions(layer, height, width);
  return ho * wo;
}

function outputPositions(layer: LayerInfo, height: number, width: number): [number, number] {
  return outputSize({ ...layer, inputSize: [height, width] });
}

/**
 * Writes the im2col patches of samples `[first, first + n)` of a conv input `[N, C, H,
 * W]` into `out` as rows (`(c, kh, kw)` row-major, zeros where the window reads
 * padding), with the layer's own stride, padding and dilation. Returns the rows written.
 */
export function convPatches(
  layer: LayerInfo,
  data: ArrayLike<number>,
  shape: readonly number[],
  first: number,
  n: number,
  out: Float64Array,
): number {
  const [, c, h, w] = shape;
  const [kh, kw] = layer.kernel;
  const [sh, sw] = layer.stride;
  const [dh, dw] = layer.dilation;
  const top = layer.padding[0];
  const left = layer.padding[2];
  const [ho, wo] = outputPositions(layer, h, w);
  const p = c * kh * kw;
  out.fill(0, 0, n * ho * wo * p);
  let row = 0;
  for (let s = first; s < first + n; s++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++, row++) {
        const base = row * p;
        for (let ci = 0; ci < c; ci++) {
          const plane = (s * c + ci) * h * w;
          for (let ky = 0; ky < kh; ky++) {
            const y = oy * sh - top + ky * dh;
            if (y < 0 || y >= h) continue;
            const col = base + (ci * kh + ky) * kw;
            for (let kx = 0; kx < kw; kx++) {
              const x = ox * sw - left + kx * dw;
              if (x >= 0 && x < w) out[col + kx] = data[plane + y * w + x];
            }
          }
        }
      }
    }
  }
  return row;
}
