import type { BufferPool } from './buffer-pool.js';

/**
 * Records dispatches and copies into one command encoder (one compute pass while
 * only dispatches come) and submits them together: on a read, on sync, or after
 * `maxCommands`. Buffers freed while commands that may use them are unsubmitted
 * wait here until the submit; only then may `queue.writeBuffer` (which runs ahead of
 * unsubmitted commands) refill them.
 */
export class CommandBatch {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private commands = 0;
  private retired: [BufferPool, GPUBuffer][] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly maxCommands: number,
  ) {}

  /** Whether recorded commands await submission. */
  get pending(): boolean {
    return this.encoder !== null;
  }

  dispatch(
    pipeline: GPUComputePipeline,
    bindGroup: GPUBindGroup,
    workgroups: readonly [number, number, number],
  ): void {
    if (!this.pass) this.pass = this.getEncoder().beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2]);
    this.count();
  }

  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number): void {
    this.endPass();
    this.getEncoder().copyBufferToBuffer(src, 0, dst, 0, bytes);
    this.count();
  }

  /** Returns `buffer` to `pool` now if nothing unsubmitted can use it, else after the next submit. */
  retire(pool: BufferPool, buffer: GPUBuffer): void {
    if (this.pending) this.retired.push([pool, buffer]);
    else pool.release(buffer);
  }

  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.commands = 0;
    for (const [pool, buffer] of this.retired) pool.release(buffer);
    this.retired = [];
  }

  private getEncoder(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder();
    return this.encoder;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  private count(): void {
    if (++this.commands >= this.maxCommands) this.flush();
  }
}
