import { sizeOf } from '@lowrank/core';
import { collapse } from '../dims.js';
import type { GpuData } from '../gpu-data.js';
import { addOffsets } from '../wgsl.js';
import { type KernelContext, runFlat } from './context.js';

/**
 * The two data-movement primitives behind transpose, slice, sliceGrad, pad, concat
 * and broadcastTo. Both move 32-bit words, so one pipeline serves float32 and int32.
 */

/** Sets every element of `out` to `value` (stored as out's dtype). */
export function fill(ctx: KernelContext, out: GpuData, value: number): void {
  const bits = new DataView(new ArrayBuffer(4));
  if (out.dtype === 'int32') bits.setInt32(0, value);
  else bits.setFloat32(0, value);
  runFlat(
    ctx,
    'fill',
    out.size,
    [{ name: 'Y', type: 'u32', write: true, data: out }],
    (p) => p.u32('value', bits.getUint32(0)),
    '  Y[i] = P.value;',
  );
}

export interface StridedView {
  data: GpuData;
  /** Element offset of coordinate 0. */
  base: number;
  /** Element strides along the copied shape's axes (negative for reversed slices, 0 for broadcasts). */
  strides: readonly number[];
}

/** dst[dst.base + c . dst.strides] = src[src.base + c . src.strides] for every coordinate c of `shape`. */
export function copyStrided(
  ctx: KernelContext,
  shape: readonly number[],
  src: StridedView,
  dst: StridedView,
): void {
  const c = collapse(shape, [src.strides, dst.strides]);
  const rank = c.shape.length;
  runFlat(
    ctx,
    `copy:r${rank}`,
    sizeOf(shape),
    [
      { name: 'X', type: 'u32', data: src.data },
      { name: 'Y', type: 'u32', write: true, data: dst.data },
    ],
    (p) =>
      p
        .i32('srcBase', src.base)
        .i32('dstBase', dst.base)
        .i32s('d', c.shape)
        .i32s('ss', c.strides[0])
        .i32s('ds', c.strides[1]),
    `  var src = P.srcBase;
  var dst = P.dstBase;
${addOffsets('i', rank, 'd', [
  { acc: 'src', strides: 'ss' },
  { acc: 'dst', strides: 'ds' },
])}
  Y[dst] = X[src];`,
  );
}
