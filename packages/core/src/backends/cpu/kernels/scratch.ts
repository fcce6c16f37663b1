import type { FloatArray } from '../../../dtype.js';

/**
 * Reusable work buffers for the conv kernels, one per (slot, element type), grown on
 * demand and kept: a training loop calls the same conv shapes over and over, and fresh
 * multi-megabyte arrays each time cost a zero-fill plus GC pressure. JS runs kernels to
 * completion on one thread, so a slot is never in use twice at once as long as a kernel
 * does not hand a slot's buffer to code that asks for the same slot.
 */
export type ScratchSlot = 'col' | 'rows';

const f32 = new Map<ScratchSlot, Float32Array>();
const f64 = new Map<ScratchSlot, Float64Array>();

/** A buffer of at least `size` elements of `like`'s type; its contents are garbage. */
export function scratch(like: FloatArray, slot: ScratchSlot, size: number): FloatArray {
  if (like instanceof Float64Array) {
    let buf = f64.get(slot);
    if (!buf || buf.length < size) f64.set(slot, (buf = new Float64Array(size)));
    return buf;
  }
  let buf = f32.get(slot);
  if (!buf || buf.length < size) f32.set(slot, (buf = new Float32Array(size)));
  return buf;
}
