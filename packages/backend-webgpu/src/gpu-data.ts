import type { DType } from '@lowrank/core';

/** A tensor's storage: a (pooled) GPU buffer, its element count and type, and a reference count. */
export class GpuData {
  refs = 1;

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
