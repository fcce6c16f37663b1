import type { DataArray, DType } from './dtype.js';
import type { KernelAttrs, KernelName, OptionalKernelAttrs, OptionalKernelName } from './kernels.js';
import type { Shape } from './shape.js';

/** An opaque handle to a backend-owned buffer. Backends keep a reference count per handle. */
export type DataId = object;

/** What a kernel sees of a tensor: no autodiff, no engine, just storage and layout (always contiguous). */
export interface TensorInfo {
  readonly dataId: DataId;
  readonly shape: Shape;
  readonly dtype: DType;
}

export interface BackendMemory {
  /** Live buffers (reference count > 0). */
  buffers: number;
  /** Bytes held by live buffers. */
  bytes: number;
}

/**
 * A compute backend. It owns buffers (reference counted), runs kernels by name and
 * reads data back. Everything is shaped for an asynchronous GPU: kernels return
 * handles at once and `read` is async; `readSync` exists only where the backend can
 * block (the CPU backend).
 */
export interface Backend {
  readonly name: string;
  /** Element types this backend stores. The CPU backend has float64; WebGPU does not. */
  readonly dtypes: readonly DType[];
  /** The kernels this backend implements; core names any missing one in its error. */
  readonly kernels: ReadonlySet<KernelName>;
  runKernel<K extends KernelName>(
    name: K,
    inputs: readonly TensorInfo[],
    attrs: KernelAttrs[K],
  ): TensorInfo[];
  /** Fused kernels this backend implements; core runs a composite of required kernels for the others. */
  readonly optionalKernels?: ReadonlySet<OptionalKernelName>;
  /** Runs one of `optionalKernels`. */
  runOptionalKernel?<K extends OptionalKernelName>(
    name: K,
    inputs: readonly TensorInfo[],
    attrs: OptionalKernelAttrs[K],
  ): TensorInfo[];
  /** Uploads `values` into a new buffer with reference count 1. `values` may be kept, do not mutate it afterwards. */
  write(values: DataArray, shape: Shape, dtype: DType): DataId;
  read(dataId: DataId): Promise<DataArray>;
  readSync?(dataId: DataId): DataArray;
  incRef(dataId: DataId): void;
  /** Drops one reference; the buffer is freed (or pooled) when none are left. */
  decRef(dataId: DataId): void;
  memory(): BackendMemory;
  /** Waits until all submitted work has finished (a no-op on the CPU). */
  sync(): Promise<void>;
  dispose(): void;
}
