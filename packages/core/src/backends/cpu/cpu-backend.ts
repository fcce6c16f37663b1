import type { Backend, BackendMemory, DataId, TensorInfo } from '../../backend.js';
import { type DataArray, type DType, type FloatArray, promoteTypes } from '../../dtype.js';
import type { KernelAttrs, KernelName, OptionalKernelAttrs, OptionalKernelName } from '../../kernels.js';
import { type Shape, sizeOf } from '../../shape.js';
import { batchNormBackward, batchNormForward } from './batch-norm.js';
import { CpuBuffer } from './buffer.js';
import * as conv from './conv.js';
import * as ew from './elementwise.js';
import { matmul } from './matmul.js';
import * as mv from './movement.js';
import * as pool from './pool.js';
import { argReduce, reduce } from './reduce.js';
import { transpose } from './transpose.js';

type Impl<K extends KernelName> = (
  inputs: readonly TensorInfo[],
  attrs: KernelAttrs[K],
  cpu: CpuBackend,
) => TensorInfo[];
type OptionalImpl<K extends OptionalKernelName> = (
  inputs: readonly TensorInfo[],
  attrs: OptionalKernelAttrs[K],
  cpu: CpuBackend,
) => TensorInfo[];

/**
 * The embedded default backend: plain TypeScript on typed arrays, every kernel,
 * float32/float64/int32, synchronous reads. Hot kernels (GEMM, im2col conv,
 * pooling) are cache-blocked.
 */
export class CpuBackend implements Backend {
  readonly name = 'cpu';
  readonly dtypes: readonly DType[] = ['float32', 'float64', 'int32'];
  readonly kernels: ReadonlySet<KernelName> = new Set(Object.keys(KERNELS) as KernelName[]);
  readonly optionalKernels: ReadonlySet<OptionalKernelName> = new Set(
    Object.keys(OPTIONAL_KERNELS) as OptionalKernelName[],
  );
  private liveBuffers = 0;
  private liveBytes = 0;

  runKernel<K extends KernelName>(
    name: K,
    inputs: readonly TensorInfo[],
    attrs: KernelAttrs[K],
  ): TensorInfo[] {
    const impl = KERNELS[name] as Impl<K> | undefined;
    if (!impl) throw new Error(`cpu backend: no kernel '${name}'`);
    return impl(inputs, attrs, this);
  }

  runOptionalKernel<K extends OptionalKernelName>(
    name: K,
    inputs: readonly TensorInfo[],
    attrs: OptionalKernelAttrs[K],
  ): TensorInfo[] {
    const impl = OPTIONAL_KERNELS[name] as OptionalImpl<K> | undefined;
    if (!impl) throw new Error(`cpu backend: no optional kernel '${name}'`);
    return impl(inputs, attrs, this);
  }

  write(values: DataArray, _shape: Shape, _dtype: DType): DataId {
    this.liveBuffers++;
    this.liveBytes += values.byteLength;
    return new CpuBuffer(values);
  }

  /** The values behind a handle, not copied: kernels read them in place. */
  values(dataId: DataId): DataArray {
    const buffer = dataId as CpuBuffer;
    if (buffer.refs <= 0) throw new Error('cpu backend: read of a freed buffer');
    return buffer.values;
  }

  readSync(dataId: DataId): DataArray {
    return this.values(dataId).slice();
  }

  read(dataId: DataId): Promise<DataArray> {
    return Promise.resolve(this.readSync(dataId));
  }

  incRef(dataId: DataId): void {
    (dataId as CpuBuffer).refs++;
  }

  decRef(dataId: DataId): void {
    const buffer = dataId as CpuBuffer;
    if (buffer.refs <= 0) throw new Error('cpu backend: buffer released twice');
    if (--buffer.refs === 0) {
      this.liveBuffers--;
      this.liveBytes -= buffer.values.byteLength;
    }
  }

  memory(): BackendMemory {
    return { buffers: this.liveBuffers, bytes: this.liveBytes };
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  dispose(): void {}

  /** Wraps freshly computed values as a kernel output. */
  output(values: DataArray, shape: Shape, dtype: DType): TensorInfo {
    if (values.length !== sizeOf(shape))
      throw new Error(`cpu backend: ${values.length} values for shape [${shape}]`);
    return { dataId: this.write(values, shape, dtype), shape: [...shape], dtype };
  }
}

function dtypeOfValues(v: DataArray): DType {
  return v instanceof Float64Array ? 'float64' : v instanceof Float32Array ? 'float32' : 'int32';
}

function out(cpu: CpuBackend, values: DataArray, shape: Shape): TensorInfo {
  return cpu.output(values, shape, dtypeOfValues(values));
}

const KERNELS: { [K in KernelName]: Impl<K> } = {
  unary: ([x], { op }, cpu) => [out(cpu, ew.unary(op, cpu.values(x.dataId), x.dtype), x.shape)],
  binary: ([a, b], { op }, cpu) => {
    const r = ew.binary(op, cpu.values(a.dataId), a.shape, a.dtype, cpu.values(b.dataId), b.shape, b.dtype);
    return [cpu.output(r.values, r.shape, r.dtype)];
  },
  where: ([c, a, b], _attrs, cpu) => {
    const dtype = promoteTypes(a.dtype, b.dtype);
    const r = ew.where(
      cpu.values(c.dataId),
      c.shape,
      cpu.values(a.dataId),
      a.shape,
      cpu.values(b.dataId),
      b.shape,
      dtype,
    );
    return [cpu.output(r.values, r.shape, dtype)];
  },
  cast: ([x], { dtype }, cpu) => [cpu.output(ew.cast(cpu.values(x.dataId), dtype), x.shape, dtype)],
  reduce: ([x], { op, axes }, cpu) => {
    const r = reduce(op, cpu.values(x.dataId), x.shape, x.dtype, axes);
    return [cpu.output(r.values, r.shape, x.dtype)];
  },
  argReduce: ([x], { op, axis }, cpu) => {
    const r = argReduce(op, cpu.values(x.dataId), x.shape, axis);
    return [cpu.output(r.values, r.shape, 'int32')];
  },
  transpose: ([x], { perm }, cpu) => {
    const r = transpose(cpu.values(x.dataId), x.shape, perm);
    return [cpu.output(r.values, r.shape, x.dtype)];
  },
  slice: ([x], { begin, step, shape }, cpu) => [
    cpu.output(mv.slice(cpu.values(x.dataId), x.shape, begin, step, shape), shape, x.dtype),
  ],
  sliceGrad: ([dy], { inputShape, begin, step }, cpu) => [
    cpu.output(mv.sliceGrad(cpu.values(dy.dataId), dy.shape, inputShape, begin, step), inputShape, dy.dtype),
  ],
  pad: ([x], { paddings, value }, cpu) => {
    const r = mv.pad(cpu.values(x.dataId), x.shape, paddings, value);
    return [cpu.output(r.values, r.shape, x.dtype)];
  },
  concat: (xs, { axis }, cpu) => {
    const dtype = xs[0].dtype;
    for (const x of xs)
      if (x.dtype !== dtype) throw new TypeError(`concat: mixed dtypes ${dtype} and ${x.dtype}`);
    const r = mv.concat(
      xs.map((x) => cpu.values(x.dataId)),
      xs.map((x) => x.shape),
      axis,
    );
    return [cpu.output(r.values, r.shape, dtype)];
  },
  gather: ([x, idx], { axis }, cpu) => {
    const r = mv.gather(cpu.values(x.dataId), x.shape, cpu.values(idx.dataId), idx.shape, axis);
    return [cpu.output(r.values, r.shape, x.dtype)];
  },
  gatherGrad: ([dy, idx], { axis, inputShape }, cpu) => [
    cpu.output(
      mv.gatherGrad(cpu.values(dy.dataId), cpu.values(idx.dataId), inputShape, axis),
      inputShape,
      dy.dtype,
    ),
  ],
  broadcastTo: ([x], { shape }, cpu) => [
    cpu.output(mv.broadcastTo(cpu.values(x.dataId), x.shape, shape), shape, x.dtype),
  ],
  oneHot: ([idx], { depth, dtype }, cpu) => [
    cpu.output(mv.oneHot(cpu.values(idx.dataId), depth, dtype), [...idx.shape, depth], dtype),
  ],
  matmul: ([a, b], { transA, transB }, cpu) => {
    const r = matmul(
      cpu.values(a.dataId),
      a.shape,
      a.dtype,
      cpu.values(b.dataId),
      b.shape,
      b.dtype,
      transA,
      transB,
    );
    return [cpu.output(r.values, r.shape, r.dtype)];
  },
  conv2d: ([x, w], attrs, cpu) => [
    out(cpu, ...conv.forward(cpu.values(x.dataId), x.shape, cpu.values(w.dataId), w.shape, attrs)),
  ],
  conv2dGradInput: ([dy, w], attrs, cpu) => [
    out(
      cpu,
      conv.gradInput(cpu.values(dy.dataId), dy.shape, cpu.values(w.dataId), w.shape, attrs),
      attrs.inputShape,
    ),
  ],
  conv2dGradFilter: ([x, dy], attrs, cpu) => [
    out(
      cpu,
      conv.gradFilter(cpu.values(x.dataId), x.shape, cpu.values(dy.dataId), dy.shape, attrs),
      attrs.filterShape,
    ),
  ],
  maxPool2d: ([x], attrs, cpu) => {
    const r = pool.maxPool(cpu.values(x.dataId), x.shape, attrs);
    return [out(cpu, r.values, r.shape), out(cpu, r.argmax, r.shape)];
  },
  avgPool2d: ([x], attrs, cpu) => {
    const r = pool.avgPool(cpu.values(x.dataId), x.shape, attrs);
    return [out(cpu, r.values, r.shape)];
  },
  avgPool2dGrad: ([dy], attrs, cpu) => [
    out(cpu, pool.avgPoolGrad(cpu.values(dy.dataId), dy.shape, attrs), attrs.inputShape),
  ],
  adaptiveAvgPool2d: ([x], { outSize }, cpu) => {
    const r = pool.adaptiveAvgPool(cpu.values(x.dataId), x.shape, outSize);
    return [out(cpu, r.values, r.shape)];
  },
  adaptiveAvgPool2dGrad: ([dy], { outSize, inputShape }, cpu) => [
    out(cpu, pool.adaptiveAvgPoolGrad(cpu.values(dy.dataId), outSize, inputShape), inputShape),
  ],
  adaptiveMaxPool2d: ([x], { outSize }, cpu) => {
    const r = pool.adaptiveMaxPool(cpu.values(x.dataId), x.shape, outSize);
    return [out(cpu, r.values, r.shape), out(cpu, r.argmax, r.shape)];
  },
  poolScatter: ([dy, argmax], { inputShape }, cpu) => [
    out(
      cpu,
      pool.scatter(cpu.values(dy.dataId), cpu.values(argmax.dataId) as Int32Array, dy.shape, inputShape),
      inputShape,
    ),
  ],
};

const OPTIONAL_KERNELS: { [K in OptionalKernelName]: OptionalImpl<K> } = {
  conv2dBias: ([x, w, bias], attrs, cpu) => [
    out(
      cpu,
      ...conv.forward(
        cpu.values(x.dataId),
        x.shape,
        cpu.values(w.dataId),
        w.shape,
        attrs,
        cpu.values(bias.dataId) as FloatArray,
      ),
    ),
  ],
  reluGrad: ([dy, x], _attrs, cpu) => [
    cpu.output(ew.reluGrad(cpu.values(dy.dataId), cpu.values(x.dataId), dy.dtype), dy.shape, dy.dtype),
  ],
  batchNorm: ([x, weight, bias], { eps, affine }, cpu) => {
    const r = batchNormForward(
      cpu.values(x.dataId),
      x.shape,
      x.dtype,
      affine ? cpu.values(weight.dataId) : null,
      affine ? cpu.values(bias.dataId) : null,
      eps,
    );
    const channels = [x.shape[1]];
    return [
      cpu.output(r.y, x.shape, x.dtype),
      cpu.output(r.mean, channels, x.dtype),
      cpu.output(r.variance, channels, x.dtype),
    ];
  },
  batchNormGrad: ([dy, x, mean, variance, weight], { eps, affine }, cpu) => {
    const r = batchNormBackward(
      cpu.values(dy.dataId),
      cpu.values(x.dataId),
      x.shape,
      x.dtype,
      cpu.values(mean.dataId),
      cpu.values(variance.dataId),
      affine ? cpu.values(weight.dataId) : null,
      eps,
    );
    const dx = cpu.output(r.dx, x.shape, x.dtype);
    if (!affine) return [dx];
    const channels = [x.shape[1]];
    return [dx, cpu.output(r.dweight, channels, x.dtype), cpu.output(r.dbias, channels, x.dtype)];
  },
};
