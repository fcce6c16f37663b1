import type { GradNode } from './autodiff/node.js';
import type { DataId, TensorInfo } from './backend.js';
import type { DataArray, DType } from './dtype.js';
import type { Engine } from './engine.js';
import * as elementwise from './ops/elementwise.js';
import * as linear from './ops/linear.js';
import * as reduce from './ops/reduce.js';
import * as shapeOps from './ops/shape.js';
import { formatShape, type Shape, shapesEqual, sizeOf } from './shape.js';

let nextTensorId = 0;

/** Nested JS arrays of numbers, as returned by `Tensor.toArray()`. */
export type NestedArray = number | NestedArray[];

/**
 * An n-dimensional array on a backend. Tensors are immutable values: ops return new
 * tensors; only `assign` (for parameters and buffers) swaps a tensor's contents.
 * Memory is explicit: `dispose()`, `engine.tidy(fn)` scopes, or `using t = ...`.
 */
export class Tensor implements TensorInfo {
  readonly id = nextTensorId++;
  /** The recorded op that produced this tensor, while gradients are being tracked. */
  node: GradNode | null = null;
  /** Accumulated gradient of a leaf tensor that requires grad (parameters). */
  grad: Tensor | null = null;
  /** Kept tensors survive the end of `tidy` scopes. */
  kept = false;
  private disposedFlag = false;

  constructor(
    readonly engine: Engine,
    private dataIdValue: DataId,
    private shapeValue: Shape,
    private dtypeValue: DType,
    public requiresGrad = false,
  ) {}

  get dataId(): DataId {
    if (this.disposedFlag) throw new Error(`Tensor #${this.id} ${formatShape(this.shapeValue)} was disposed`);
    return this.dataIdValue;
  }
  get shape(): Shape {
    return this.shapeValue;
  }
  get dtype(): DType {
    return this.dtypeValue;
  }
  get rank(): number {
    return this.shapeValue.length;
  }
  get size(): number {
    return sizeOf(this.shapeValue);
  }
  get isDisposed(): boolean {
    return this.disposedFlag;
  }

  /** Reads the values (a copy the caller owns). Works on every backend. */
  data(): Promise<DataArray> {
    return this.engine.backend.read(this.dataId);
  }
  /** Reads the values synchronously; only on backends that can block (the CPU backend). */
  dataSync(): DataArray {
    const backend = this.engine.backend;
    if (!backend.readSync) {
      throw new Error(
        `dataSync() is not available on the '${backend.name}' backend; use 'await tensor.data()'`,
      );
    }
    return backend.readSync(this.dataId);
  }
  async item(): Promise<number> {
    if (this.size !== 1)
      throw new RangeError(`item() needs a tensor of one element, got shape ${formatShape(this.shape)}`);
    return (await this.data())[0];
  }
  itemSync(): number {
    if (this.size !== 1)
      throw new RangeError(`item() needs a tensor of one element, got shape ${formatShape(this.shape)}`);
    return this.dataSync()[0];
  }
  async toArray(): Promise<NestedArray> {
    return nest(await this.data(), this.shape);
  }

  /** Drops this tensor's reference to its data. Idempotent. */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    this.engine.onDispose(this);
    this.engine.backend.decRef(this.dataIdValue);
    this.node?.outputDisposed();
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Marks the tensor so that no enclosing `tidy` disposes it. */
  keep(): this {
    this.engine.keep(this);
    return this;
  }

  /** Turns this tensor into a leaf that accumulates gradients into `.grad`. */
  requireGrad(flag = true): this {
    if (flag && this.dtype === 'int32')
      throw new TypeError(`int32 tensor #${this.id} cannot require gradients`);
    this.requiresGrad = flag;
    return this;
  }

  /** Computes gradients of this (scalar) tensor into the `.grad` of every leaf that requires them. */
  backward(grad?: Tensor, options?: { retainGraph?: boolean }): void {
    this.engine.backward(this, grad, options);
  }

  /** A new tensor sharing this one's data, without the autodiff history. */
  detach(): Tensor {
    return this.engine.shareData(this, this.shape);
  }

  /**
   * Replaces this tensor's contents with `value`'s (same shape and dtype) without
   * recording a gradient. Used by optimizers and running statistics. `value` is
   * left untouched (its data is shared).
   */
  assign(value: Tensor): this {
    if (value.dtype !== this.dtype || !shapesEqual(value.shape, this.shape)) {
      throw new RangeError(
        `assign: expected ${this.dtype} ${formatShape(this.shape)}, got ${value.dtype} ${formatShape(value.shape)}`,
      );
    }
    const backend = this.engine.backend;
    backend.incRef(value.dataId);
    backend.decRef(this.dataId);
    this.dataIdValue = value.dataId;
    return this;
  }

  /**
   * Replaces this tensor's contents with `value` reshaped to this shape and cast to
   * this dtype (same number of elements), without recording a gradient. How
   * factorized layers load their factors into their parameters.
   */
  copyFrom(value: Tensor): this {
    if (value.size !== this.size) {
      throw new RangeError(
        `copyFrom: ${value.size} elements (${formatShape(value.shape)}) into ${formatShape(this.shape)}`,
      );
    }
    const engine = this.engine;
    engine.noGrad(() =>
      engine.tidy(() => {
        const shaped = shapeOps.reshape(value, this.shape);
        this.assign(shaped.dtype === this.dtype ? shaped : elementwise.cast(shaped, this.dtype));
      }),
    );
    return this;
  }

  toString(): string {
    return `Tensor(#${this.id}, ${this.dtype}, ${formatShape(this.shape)}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  // Method forms of the most used ops; every op is also a free function.
  add(b: Tensor | number): Tensor {
    return elementwise.add(this, b);
  }
  sub(b: Tensor | number): Tensor {
    return elementwise.sub(this, b);
  }
  mul(b: Tensor | number): Tensor {
    return elementwise.mul(this, b);
  }
  div(b: Tensor | number): Tensor {
    return elementwise.div(this, b);
  }
  pow(b: Tensor | number): Tensor {
    return elementwise.pow(this, b);
  }
  neg(): Tensor {
    return elementwise.neg(this);
  }
  exp(): Tensor {
    return elementwise.exp(this);
  }
  log(): Tensor {
    return elementwise.log(this);
  }
  sqrt(): Tensor {
    return elementwise.sqrt(this);
  }
  square(): Tensor {
    return elementwise.square(this);
  }
  abs(): Tensor {
    return elementwise.abs(this);
  }
  relu(): Tensor {
    return elementwise.relu(this);
  }
  cast(dtype: DType): Tensor {
    return elementwise.cast(this, dtype);
  }
  matmul(b: Tensor): Tensor {
    return linear.matmul(this, b);
  }
  sum(axes?: number | number[], keepDims = false): Tensor {
    return reduce.sum(this, axes, keepDims);
  }
  mean(axes?: number | number[], keepDims = false): Tensor {
    return reduce.mean(this, axes, keepDims);
  }
  max(axes?: number | number[], keepDims = false): Tensor {
    return reduce.max(this, axes, keepDims);
  }
  min(axes?: number | number[], keepDims = false): Tensor {
    return reduce.min(this, axes, keepDims);
  }
  argmax(axis = -1): Tensor {
    return reduce.argmax(this, axis);
  }
  reshape(shape: readonly number[]): Tensor {
    return shapeOps.reshape(this, shape);
  }
  flatten(startAxis = 0, endAxis = -1): Tensor {
    return shapeOps.flatten(this, startAxis, endAxis);
  }
  transpose(perm?: readonly number[]): Tensor {
    return shapeOps.transpose(this, perm);
  }
  permute(...perm: number[]): Tensor {
    return shapeOps.transpose(this, perm);
  }
  squeeze(axes?: number | number[]): Tensor {
    return shapeOps.squeeze(this, axes);
  }
  expandDims(axis: number): Tensor {
    return shapeOps.expandDims(this, axis);
  }
}

function nest(values: DataArray, shape: Shape): NestedArray {
  if (shape.length === 0) return values[0];
  const build = (offset: number, axis: number): NestedArray[] => {
    const n = shape[axis];
    const stride = sizeOf(shape.slice(axis + 1));
    const out: NestedArray[] = [];
    for (let i = 0; i < n; i++) {
      out.push(axis === shape.length - 1 ? values[offset + i] : build(offset + i * stride, axis + 1));
    }
    return out;
  };
  return build(0, 0);
}
