import type { DType, TensorInfo } from '@lowrank/core';
import type { GpuData } from '../gpu-data.js';
import { Params } from '../params.js';
import { type BufferDecl, FLAT_WORKGROUP, flatMain } from '../wgsl.js';
import type { MatmulTile } from './matmul-tiles.js';

/** One dispatch: its buffers (inputs read-only first, then outputs), parameters and WGSL. */
export interface Launch {
  /** Names what is baked into the WGSL; with the buffer types and the Params layout it keys the pipeline cache. */
  key: string;
  buffers: readonly (BufferDecl & { data: GpuData })[];
  params: Params;
  /** The WGSL after the generated declarations; built only on a pipeline-cache miss. */
  code: () => string;
  workgroups: readonly [number, number, number];
}

/** What the kernels need from the backend. */
export interface KernelContext {
  readonly limits: GPUSupportedLimits;
  /** Largest im2col patch matrix, in elements; convolutions over more images run in chunks. */
  readonly patchBudget: number;
  /** The storage behind a tensor (checked to be alive). */
  data(info: TensorInfo): GpuData;
  /** A new buffer of `size` elements, reference count 1, contents undefined. */
  alloc(size: number, dtype: DType): GpuData;
  /** Drops a kernel's reference to a temporary. */
  release(data: GpuData): void;
  launch(launch: Launch): void;
  /** The GEMM's tile. */
  readonly matmulTile: MatmulTile;
  /** Workgroup counts for `threads` threads of `perGroup`, folded into 2-d past the per-dimension limit. */
  grid(threads: number, perGroup: number): [number, number, number];
}

export function output(data: GpuData, shape: readonly number[]): TensorInfo {
  return { dataId: data, shape: [...shape], dtype: data.dtype };
}

/** A 1-d kernel of `n` threads (thread index `i`); `params` gets `n` first. Does nothing when n is 0. */
export function runFlat(
  ctx: KernelContext,
  key: string,
  n: number,
  buffers: Launch['buffers'],
  params: (p: Params) => Params,
  body: string,
  helpers = '',
): void {
  if (n === 0) return;
  ctx.launch({
    key,
    buffers,
    params: params(new Params().i32('n', n)),
    code: () => `${helpers}\n${flatMain(body)}`,
    workgroups: ctx.grid(n, FLAT_WORKGROUP),
  });
}
