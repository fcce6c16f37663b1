/**
 * Free GPU buffers of one usage, kept by size class for reuse: creating buffers is
 * slow, and training allocates the same sizes every step. Size classes are a power
 * of two and its 1.25, 1.5 and 1.75 multiples (at most 25% slack), from 64 bytes.
 */
export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private freeBytes = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    /** Free bytes kept at most; buffers released beyond it are destroyed. */
    private readonly maxFreeBytes: number,
    private readonly label: string,
    /** Largest size class; bigger requests get their exact (16-byte rounded) size. */
    private readonly maxClass: number = device.limits.maxBufferSize,
  ) {}

  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes, this.maxClass);
    const buffer = this.free.get(size)?.pop();
    if (buffer) {
      this.freeBytes -= size;
      return buffer;
    }
    return this.device.createBuffer({ size, usage: this.usage, label: `${this.label} ${size}` });
  }

  release(buffer: GPUBuffer): void {
    if (this.freeBytes + buffer.size > this.maxFreeBytes) {
      buffer.destroy();
      return;
    }
    let list = this.free.get(buffer.size);
    if (!list) {
      list = [];
      this.free.set(buffer.size, list);
    }
    list.push(buffer);
    this.freeBytes += buffer.size;
  }

  destroy(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.freeBytes = 0;
  }
}

/** The pooled size for a request of `bytes`: a multiple of 16 (vec4 bindings), within `max`. */
export function sizeClass(bytes: number, max = Number.POSITIVE_INFINITY): number {
  const b = Math.max(bytes, 64);
  const step = 2 ** Math.floor(Math.log2(b)) / 4;
  const size = Math.ceil(b / step) * step;
  return size <= max ? size : Math.ceil(b / 16) * 16;
}
