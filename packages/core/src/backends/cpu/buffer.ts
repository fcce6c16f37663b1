import type { DataArray } from '../../dtype.js';

/** A CPU buffer: the values and a reference count (views share one buffer). */
export class CpuBuffer {
  refs = 1;
  constructor(readonly values: DataArray) {}
}
