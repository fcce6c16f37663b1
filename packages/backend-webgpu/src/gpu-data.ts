import type { DType } from '@lowrank/core';

/**
 * The pooling window that produced an argmax tensor. poolScatter's attributes do not
 * carry it, so the backend remembers it on the argmax buffer: with it, each input
 * position visits only the few windows that can cover it instead of its whole plane.
 */
export type ArgmaxWindow =
  | {
      kind: 'sliding';
      inH: number;
      inW: number;
      outH: number;
      outW: number;
      kernel: [number, number];
      stride: [number, number];
      /** [top, bottom, left, right] */
      padding: [number, number, number, number];
      dilation: [number, number];
    }
  | { kind: 'adaptive'; inH: number; inW: number; outH: number; outW: number };

/** A tensor's storage: a (pooled) GPU buffer, its element count and type, and a reference count. */
export class GpuData {
  refs = 1;
  window: ArgmaxWindow | null = null;

  constructor(
    readonly buffer: GPUBuffer,
    readonly size: number,
    readonly dtype: DType,
  ) {}

  /** Bytes the tensor uses (the buffer may be larger: it comes from a size class). */
  get bytes(): number {
    return this.size * 4;
  }
}
