import type {
  Backend,
  BackendMemory,
  DataArray,
  DataId,
  DType,
  KernelAttrs,
  KernelName,
  Shape,
  TensorInfo,
} from '@lowrank/core';
import { BufferPool } from './buffer-pool.js';
import { CommandBatch } from './command-batch.js';
import { type AcquiredDevice, acquireDevice, type DeviceOptions } from './device.js';
import { BufferUsage, MapMode } from './gpu-constants.js';
import { GpuData } from './gpu-data.js';
import type { KernelContext, Launch } from './kernels/context.js';
import { KERNELS } from './kernels/index.js';
import { type MatmulTile, SMALL_TILE, tileName, tileProblem } from './kernels/matmul-tiles.js';
import { type BindingKind, PipelineCache } from './pipeline-cache.js';
import { declarations } from './wgsl.js';

export interface WebGpuBackendOptions extends DeviceOptions {
  /** Commands recorded before an automatic submit (reads and `sync()` submit too). Default 32. */
  batchSize?: number;
  /** Bytes of free buffers kept for reuse. Default 256 MiB. */
  poolBytes?: number;
  /** Largest im2col patch matrix of a convolution, in elements; bigger batches run in chunks. Default 2^23 (32 MiB). */
  patchBudget?: number;
  /** The GEMM tile (checked against the adapter's limits), for tuning on new hardware. Default SMALL_TILE. */
  matmulTile?: MatmulTile;
}

export interface WebGpuInfo {
  /** The adapter, as far as it describes itself (e.g. 'mesa llvmpipe ...'). */
  adapter: string;
  /** Whether the device runs in compatibility mode (OpenGL ES). */
  compatibility: boolean;
  limits: GPUSupportedLimits;
}

type Impl = (ctx: KernelContext, inputs: readonly TensorInfo[], attrs: unknown) => TensorInfo[];

/**
 * The WebGPU backend: float32 and int32 tensors in pooled storage buffers, every
 * core kernel as a WGSL compute shader, dispatches batched into few submits, and
 * asynchronous reads through mappable staging buffers.
 */
export class WebGpuBackend implements Backend, KernelContext {
  readonly name = 'webgpu';
  readonly dtypes: readonly DType[] = ['float32', 'int32'];
  readonly kernels: ReadonlySet<KernelName> = new Set(Object.keys(KERNELS) as KernelName[]);
  readonly device: GPUDevice;
  readonly info: WebGpuInfo;
  readonly patchBudget: number;
  private readonly tile: MatmulTile;
  private readonly ownsDevice: boolean;
  private readonly storage: BufferPool;
  private readonly uniforms: BufferPool;
  private readonly staging: BufferPool;
  private readonly pipelines: PipelineCache;
  private readonly commands: CommandBatch;
  private liveBuffers = 0;
  private liveBytes = 0;
  /** The first asynchronous failure (device lost, validation error); every later call throws it. */
  private failure: Error | null = null;
  private disposed = false;

  static async create(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
    return new WebGpuBackend(await acquireDevice(options), options);
  }

  constructor(acquired: AcquiredDevice, options: WebGpuBackendOptions = {}) {
    const device = acquired.device;
    this.device = device;
    this.ownsDevice = acquired.owned;
    this.info = { adapter: acquired.adapter, compatibility: acquired.compatibility, limits: device.limits };
    this.patchBudget = options.patchBudget ?? 2 ** 23;
    this.tile = options.matmulTile ?? SMALL_TILE;
    const problem = tileProblem(this.tile, device.limits);
    if (problem)
      throw new Error(`webgpu backend: matmulTile ${tileName(this.tile)} cannot run here: ${problem}`);
    const poolBytes = options.poolBytes ?? 256 * 2 ** 20;
    this.storage = new BufferPool(
      device,
      BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
      poolBytes,
      'tensor',
      // Pooled buffers are bound whole, so a size class may not pass the binding limit.
      Math.min(device.limits.maxBufferSize, device.limits.maxStorageBufferBindingSize),
    );
    this.uniforms = new BufferPool(device, BufferUsage.UNIFORM | BufferUsage.COPY_DST, 2 ** 20, 'params');
    this.staging = new BufferPool(
      device,
      BufferUsage.MAP_READ | BufferUsage.COPY_DST,
      poolBytes / 4,
      'readback',
    );
    this.pipelines = new PipelineCache(device);
    this.commands = new CommandBatch(device, options.batchSize ?? 32);
    device.lost.then((info) => {
      if (!this.disposed) this.fail(`the WebGPU device was lost (${info.reason}): ${info.message}`);
    });
    device.addEventListener('uncapturederror', (event) => {
      this.fail(`WebGPU error: ${(event as GPUUncapturedErrorEvent).error.message}`);
    });
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  get matmulTile(): MatmulTile {
    return this.tile;
  }

  runKernel<K extends KernelName>(
    name: K,
    inputs: readonly TensorInfo[],
    attrs: KernelAttrs[K],
  ): TensorInfo[] {
    this.check();
    return (KERNELS[name] as Impl)(this, inputs, attrs);
  }

  write(values: DataArray, _shape: Shape, dtype: DType): DataId {
    this.check();
    if (!this.dtypes.includes(dtype))
      throw new TypeError(`The webgpu backend does not store ${dtype} (it has float32, int32)`);
    const data = this.alloc(values.length, dtype);
    if (values.length > 0)
      this.device.queue.writeBuffer(data.buffer, 0, values.buffer, values.byteOffset, values.byteLength);
    return data;
  }

  async read(dataId: DataId): Promise<DataArray> {
    this.check();
    const data = this.handle(dataId);
    const out = data.dtype === 'int32' ? new Int32Array(data.size) : new Float32Array(data.size);
    if (data.size === 0) return out;
    const staging = this.staging.acquire(data.bytes);
    this.commands.copy(data.buffer, staging, data.bytes);
    this.commands.flush();
    try {
      await staging.mapAsync(MapMode.READ, 0, data.bytes);
    } catch (e) {
      this.check();
      throw new Error(`webgpu backend: reading a tensor failed: ${(e as Error).message}`);
    }
    out.set(
      data.dtype === 'int32'
        ? new Int32Array(staging.getMappedRange(0, data.bytes))
        : new Float32Array(staging.getMappedRange(0, data.bytes)),
    );
    staging.unmap();
    this.staging.release(staging);
    this.check();
    return out;
  }

  incRef(dataId: DataId): void {
    this.handle(dataId).refs++;
  }

  decRef(dataId: DataId): void {
    const data = dataId as GpuData;
    if (data.refs <= 0) throw new Error('webgpu backend: buffer released twice');
    if (--data.refs > 0) return;
    this.liveBuffers--;
    this.liveBytes -= data.bytes;
    if (!this.disposed) this.commands.retire(this.storage, data.buffer);
  }

  memory(): BackendMemory {
    return { buffers: this.liveBuffers, bytes: this.liveBytes };
  }

  async sync(): Promise<void> {
    this.check();
    this.commands.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.check();
  }

  /** Frees the pools and, unless it was given, the device. Tensors of this backend become unusable. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.commands.flush();
    this.storage.destroy();
    this.uniforms.destroy();
    this.staging.destroy();
    if (this.ownsDevice) this.device.destroy();
  }

  // ---- KernelContext ----

  data(info: TensorInfo): GpuData {
    return this.handle(info.dataId);
  }

  alloc(size: number, dtype: DType): GpuData {
    const bytes = size * 4;
    const limit = Math.min(this.limits.maxStorageBufferBindingSize, this.limits.maxBufferSize);
    if (bytes > limit) {
      throw new RangeError(
        `webgpu backend: a tensor of ${size} elements (${bytes} bytes) exceeds this device's buffer limit of ${limit} bytes`,
      );
    }
    const data = new GpuData(this.storage.acquire(bytes), size, dtype);
    this.liveBuffers++;
    this.liveBytes += bytes;
    return data;
  }

  release(data: GpuData): void {
    this.decRef(data);
  }

  launch(l: Launch): void {
    const kinds: BindingKind[] = [
      ...l.buffers.map((b): BindingKind => (b.write ? 'write' : 'read')),
      'uniform',
    ];
    const key = `${l.key}|${l.buffers.map((b) => `${b.name}:${b.type}${b.write ? '!' : ''}`).join(',')}|${l.params.signature()}`;
    const { pipeline, layout } = this.pipelines.get(
      key,
      kinds,
      () => `${declarations(l.buffers, l.params)}\n${l.code()}`,
    );
    const values = l.params.data();
    const uniform = this.uniforms.acquire(values.byteLength);
    this.device.queue.writeBuffer(uniform, 0, values);
    const bindGroup = this.device.createBindGroup({
      layout,
      entries: [
        ...l.buffers.map((b, binding) => ({ binding, resource: { buffer: b.data.buffer } })),
        { binding: l.buffers.length, resource: { buffer: uniform, size: values.byteLength } },
      ],
    });
    this.commands.dispatch(pipeline, bindGroup, l.workgroups);
    this.commands.retire(this.uniforms, uniform);
  }

  grid(threads: number, perGroup: number): [number, number, number] {
    const groups = Math.ceil(threads / perGroup);
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (groups <= max) return [groups, 1, 1];
    const rows = Math.ceil(groups / max);
    if (rows > max) throw new RangeError(`webgpu backend: ${threads} threads exceed the dispatch limits`);
    return [max, rows, 1];
  }

  // ---- internals ----

  private handle(dataId: DataId): GpuData {
    if (!(dataId instanceof GpuData))
      throw new TypeError('webgpu backend: the tensor does not belong to this backend');
    if (dataId.refs <= 0) throw new Error('webgpu backend: use of a freed buffer');
    return dataId;
  }

  private fail(message: string): void {
    this.failure ??= new Error(message);
  }

  private check(): void {
    if (this.disposed) throw new Error('webgpu backend: used after dispose()');
    if (this.failure) throw this.failure;
  }
}
