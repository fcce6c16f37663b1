import type { Shape } from '@lowrank/core';

export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Strides of `shape` read inside the broadcast `outShape`: 0 on broadcast axes. */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = stridesOf(shape);
  const offset = outShape.length - shape.length;
  return outShape.map((_, i) => (i < offset || shape[i - offset] === 1 ? 0 : strides[i - offset]));
}

/**
 * Drops size-1 axes and merges neighbours that every stride set walks as one axis
 * (outer stride = inner stride * inner size). Fewer axes mean less index arithmetic
 * per thread and fewer pipeline variants: same-shape binaries become 1-d.
 */
export function collapse(
  shape: Shape,
  strides: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const out: number[] = [];
  const outStrides = strides.map(() => [] as number[]);
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const last = out.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[i] * shape[i])) {
      out[last] *= shape[i];
      strides.forEach((s, k) => {
        outStrides[k][last] = s[i];
      });
    } else {
      out.push(shape[i]);
      strides.forEach((s, k) => {
        outStrides[k].push(s[i]);
      });
    }
  }
  return { shape: out, strides: outStrides };
}
