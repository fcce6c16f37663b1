import { runBackward } from './autodiff/backward.js';
import { type GradFn, GradNode, type SavedTensors } from './autodiff/node.js';
import type { Backend, TensorInfo } from './backend.js';
import { CpuBackend } from './backends/cpu/cpu-backend.js';
import { SeededRandom } from './data/prng.js';
import { allocArray, type DataArray, type DType, dtypeOf, isFloat } from './dtype.js';
import type { KernelAttrs, KernelName, OptionalKernelAttrs, OptionalKernelName } from './kernels.js';
import { type AnyPlugin, PluginRegistry } from './plugins.js';
import { assertValidShape, formatShape, type Shape, sizeOf } from './shape.js';
import { type NestedArray, Tensor } from './tensor.js';

export interface EngineOptions {
  /** 'cpu' (the default) or a backend instance such as one made by @lowrank/backend-webgpu. */
  backend?: 'cpu' | Backend;
  /** Seed of the engine's random generator (rand, randn, dropout, initialisers). Default 0. */
  seed?: number;
}

export interface EngineMemory {
  /** Live tensor objects. */
  tensors: number;
  /** Live backend buffers (views share one). */
  buffers: number;
  bytes: number;
}

/** Which tensors an op keeps for its backward pass. */
export interface SaveSpec {
  inputs?: boolean;
  outputs?: boolean;
}

interface Scope {
  tensors: Set<Tensor>;
}

/** Anything `tidy` may return: tensors anywhere inside arrays and plain objects survive the scope. */
export type TensorContainer =
  | Tensor
  // biome-ignore lint/suspicious/noConfusingVoidType: tidy(fn) must accept callbacks that return nothing.
  | void
  | null
  | undefined
  | number
  | string
  | boolean
  | TensorContainer[]
  | {
      [key: string]: TensorContainer;
    };

/** The engine: one backend, the plugin registry, memory scopes, autodiff and a seeded generator. */
export class Engine {
  backend: Backend;
  readonly plugins = new PluginRegistry();
  random: SeededRandom;
  private readonly scopes: Scope[] = [];
  private noGradDepth = 0;
  private liveTensors = 0;

  constructor(options: EngineOptions = {}) {
    const backend = options.backend ?? 'cpu';
    this.backend = backend === 'cpu' ? new CpuBackend() : backend;
    this.random = new SeededRandom(options.seed ?? 0);
  }

  /** Registers a plugin (decomposition, norm, rank selector, backend, trainer). Chainable. */
  use(plugin: AnyPlugin): this {
    this.plugins.register(plugin);
    plugin.setup?.(this);
    return this;
  }

  /** Switches to a registered backend plugin; only while no tensor is alive. */
  async setBackend(name: string): Promise<void> {
    if (this.liveTensors > 0) {
      throw new Error(
        `setBackend('${name}'): ${this.liveTensors} tensors are alive on '${this.backend.name}'; dispose them first`,
      );
    }
    const created = await this.plugins.get('backend', name).create();
    this.backend.dispose();
    this.backend = created;
  }

  /** Resets the engine's random generator. */
  seed(seed: number): void {
    this.random = new SeededRandom(seed);
  }

  memory(): EngineMemory {
    const m = this.backend.memory();
    return { tensors: this.liveTensors, buffers: m.buffers, bytes: m.bytes };
  }

  // ---- memory scopes ----

  /**
   * Runs `fn` and disposes every tensor it created except those it returns (anywhere
   * inside arrays and objects) and those marked with `keep`. Autodiff history that only
   * disposed tensors could use is released too.
   */
  tidy<T extends TensorContainer>(fn: () => T): T {
    this.scopes.push({ tensors: new Set() });
    let result: T;
    try {
      result = fn();
      if (result instanceof Promise) {
        throw new Error('tidy: the function returned a Promise; tidy scopes must be synchronous');
      }
    } catch (e) {
      this.endScope(new Set());
      throw e;
    }
    this.endScope(collectTensors(result));
    return result;
  }

  keep<T extends Tensor>(t: T): T {
    t.kept = true;
    for (const scope of this.scopes) scope.tensors.delete(t);
    return t;
  }

  private endScope(survivors: Set<Tensor>): void {
    const scope = this.scopes.pop()!;
    const parent = this.scopes[this.scopes.length - 1];
    for (const t of scope.tensors) {
      if (survivors.has(t)) parent?.tensors.add(t);
      else t.dispose();
    }
  }

  // ---- autodiff ----

  get gradEnabled(): boolean {
    return this.noGradDepth === 0;
  }

  /** Runs `fn` without recording gradients. */
  noGrad<T>(fn: () => T): T {
    this.noGradDepth++;
    try {
      return fn();
    } finally {
      this.noGradDepth--;
    }
  }

  backward(root: Tensor, grad?: Tensor, options: { retainGraph?: boolean } = {}): void {
    runBackward(this, root, grad, undefined, options.retainGraph ?? false);
  }

  /**
   * Gradients of `root` with respect to `targets` (any tensors on its graph), returned
   * instead of accumulated into `.grad`. Missing paths give zeros.
   */
  gradients(
    root: Tensor,
    targets: readonly Tensor[],
    options: { grad?: Tensor; retainGraph?: boolean } = {},
  ): Tensor[] {
    return runBackward(this, root, options.grad, targets, options.retainGraph ?? false)!;
  }

  // ---- running kernels ----

  /**
   * Runs a backend kernel and wraps its outputs as tensors. When gradients are on and
   * an input requires them, records `grad` on the autodiff graph with the tensors
   * named in `save` kept alive for it.
   */
  runKernel<K extends KernelName>(
    name: K,
    inputs: readonly Tensor[],
    attrs: KernelAttrs[K],
    grad?: GradFn,
    save: SaveSpec = {},
  ): Tensor[] {
    if (!this.backend.kernels.has(name)) {
      throw new Error(
        `The '${this.backend.name}' backend has no kernel '${name}' (it implements: ${[...this.backend.kernels].join(', ')})`,
      );
    }
    this.checkEngine(name, inputs);
    return this.wrapOutputs(name, inputs, this.backend.runKernel(name, inputs, attrs), grad, save);
  }

  /** Whether the backend implements the optional (fused) kernel `name`. */
  hasOptionalKernel(name: OptionalKernelName): boolean {
    return this.backend.optionalKernels?.has(name) === true && this.backend.runOptionalKernel !== undefined;
  }

  /** `runKernel` for an optional kernel; check `hasOptionalKernel` first and run a composite where it is false. */
  runOptionalKernel<K extends OptionalKernelName>(
    name: K,
    inputs: readonly Tensor[],
    attrs: OptionalKernelAttrs[K],
    grad?: GradFn,
    save: SaveSpec = {},
  ): Tensor[] {
    if (!this.hasOptionalKernel(name)) {
      throw new Error(
        `The '${this.backend.name}' backend has no optional kernel '${name}'; run its composite`,
      );
    }
    this.checkEngine(name, inputs);
    return this.wrapOutputs(name, inputs, this.backend.runOptionalKernel!(name, inputs, attrs), grad, save);
  }

  private checkEngine(name: string, inputs: readonly Tensor[]): void {
    for (const t of inputs) {
      if (t.engine !== this) throw new Error(`${name}: tensor #${t.id} belongs to another engine`);
    }
  }

  private wrapOutputs(
    name: string,
    inputs: readonly Tensor[],
    infos: TensorInfo[],
    grad: GradFn | undefined,
    save: SaveSpec,
  ): Tensor[] {
    const record = grad !== undefined && this.noGradDepth === 0 && inputs.some((t) => t.requiresGrad);
    const outputs = infos.map((info) =>
      this.makeTensor(info.dataId, info.shape, info.dtype, record && isFloat(info.dtype)),
    );
    if (record) this.record(name, inputs, outputs, grad, save);
    return outputs;
  }

  /** A new tensor sharing `x`'s data under another shape (reshape, detach); no kernel runs. */
  shareData(x: Tensor, shape: Shape, grad?: GradFn): Tensor {
    if (sizeOf(shape) !== x.size) {
      throw new RangeError(
        `reshape: cannot view ${formatShape(x.shape)} (${x.size} elements) as ${formatShape(shape)}`,
      );
    }
    this.backend.incRef(x.dataId);
    const record = grad !== undefined && this.noGradDepth === 0 && x.requiresGrad;
    const out = this.makeTensor(x.dataId, [...shape], x.dtype, record);
    if (record) this.record('reshape', [x], [out], grad, {});
    return out;
  }

  private record(
    op: string,
    inputs: readonly Tensor[],
    outputs: Tensor[],
    grad: GradFn,
    save: SaveSpec,
  ): void {
    const saved: SavedTensors = {
      inputs: save.inputs ? inputs.map((t) => this.clone(t)) : [],
      outputs: save.outputs ? outputs.map((t) => this.clone(t)) : [],
    };
    const node = new GradNode(
      op,
      inputs,
      outputs.map((t) => t.shape),
      outputs,
      grad,
      saved,
    );
    for (const out of outputs) out.node = node;
  }

  /** A reference to the same data owned by autodiff, outside every scope. */
  private clone(t: Tensor): Tensor {
    this.backend.incRef(t.dataId);
    const c = new Tensor(this, t.dataId, t.shape, t.dtype, false);
    c.kept = true;
    this.liveTensors++;
    return c;
  }

  /** Wraps a backend buffer (whose reference the tensor takes over) as a tracked tensor. */
  makeTensor(dataId: object, shape: Shape, dtype: DType, requiresGrad = false): Tensor {
    const t = new Tensor(this, dataId, shape, dtype, requiresGrad);
    this.liveTensors++;
    this.scopes[this.scopes.length - 1]?.tensors.add(t);
    return t;
  }

  /** Bookkeeping when a tensor is disposed; called by Tensor.dispose. */
  onDispose(t: Tensor): void {
    this.liveTensors--;
    for (let i = this.scopes.length - 1; i >= 0; i--) if (this.scopes[i].tensors.delete(t)) break;
  }

  // ---- creation ----

  /** A tensor from a number, nested arrays or a typed array (copied). `shape` is inferred from nesting if absent. */
  tensor(values: number | NestedArray | ArrayLike<number>, shape?: readonly number[], dtype?: DType): Tensor {
    let flat: ArrayLike<number>;
    let inferred: number[];
    if (typeof values === 'number') {
      flat = [values];
      inferred = [];
    } else if (Array.isArray(values)) {
      inferred = inferShape(values);
      flat = (values as unknown[]).flat(Number.POSITIVE_INFINITY) as number[];
    } else {
      flat = values as ArrayLike<number>;
      inferred = [flat.length];
    }
    const finalShape = shape ? [...shape] : inferred;
    assertValidShape(finalShape, 'tensor');
    if (sizeOf(finalShape) !== flat.length) {
      throw new RangeError(`tensor: ${flat.length} values do not fill shape ${formatShape(finalShape)}`);
    }
    const dt = dtype ?? (ArrayBuffer.isView(values) ? dtypeOf(values as unknown as DataArray) : 'float32');
    const data = allocArray(dt, flat.length);
    for (let i = 0; i < flat.length; i++) data[i] = flat[i];
    return this.fromData(data, finalShape);
  }

  /** A tensor that takes ownership of `data` (no copy). */
  fromData(data: DataArray, shape: readonly number[]): Tensor {
    assertValidShape(shape, 'fromData');
    if (sizeOf(shape) !== data.length) {
      throw new RangeError(`fromData: ${data.length} values do not fill shape ${formatShape(shape)}`);
    }
    const dtype = dtypeOf(data);
    if (!this.backend.dtypes.includes(dtype)) {
      throw new TypeError(
        `The '${this.backend.name}' backend does not store ${dtype} (it has ${this.backend.dtypes.join(', ')})`,
      );
    }
    return this.makeTensor(this.backend.write(data, shape, dtype), [...shape], dtype);
  }

  scalar(value: number, dtype: DType = 'float32'): Tensor {
    return this.full([], value, dtype);
  }
  zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    return this.full(shape, 0, dtype);
  }
  ones(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    return this.full(shape, 1, dtype);
  }
  full(shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor {
    assertValidShape(shape, 'full');
    const data = allocArray(dtype, sizeOf(shape));
    if (value !== 0) data.fill(value);
    return this.fromData(data, shape);
  }
  zerosLike(t: Tensor): Tensor {
    return this.zeros(t.shape, t.dtype);
  }
  onesLike(t: Tensor): Tensor {
    return this.ones(t.shape, t.dtype);
  }

  /** Values start, start+step, ... below stop (like Python's range). */
  arange(start: number, stop?: number, step = 1, dtype: DType = 'float32'): Tensor {
    if (stop === undefined) {
      stop = start;
      start = 0;
    }
    if (step === 0) throw new RangeError('arange: step must not be 0');
    const n = Math.max(0, Math.ceil((stop - start) / step));
    const data = allocArray(dtype, n);
    for (let i = 0; i < n; i++) data[i] = start + i * step;
    return this.fromData(data, [n]);
  }

  eye(n: number, m = n, dtype: DType = 'float32'): Tensor {
    const data = allocArray(dtype, n * m);
    for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
    return this.fromData(data, [n, m]);
  }

  /** Uniform in [low, high) from the engine's seeded generator (or a fresh one when `seed` is given). */
  rand(
    shape: readonly number[],
    options: { low?: number; high?: number; dtype?: DType; seed?: number } = {},
  ): Tensor {
    const { low = 0, high = 1, dtype = 'float32' } = options;
    assertValidShape(shape, 'rand');
    const rng = options.seed === undefined ? this.random : new SeededRandom(options.seed);
    const data = allocArray(dtype, sizeOf(shape));
    const single = dtype === 'float32';
    for (let i = 0; i < data.length; i++)
      data[i] = low + (high - low) * (single ? rng.nextFloat32() : rng.next());
    return this.fromData(data, shape);
  }

  /** Normal with the given mean and std from the engine's seeded generator (or a fresh one when `seed` is given). */
  randn(
    shape: readonly number[],
    options: { mean?: number; std?: number; dtype?: DType; seed?: number } = {},
  ): Tensor {
    const { mean = 0, std = 1, dtype = 'float32' } = options;
    assertValidShape(shape, 'randn');
    const rng = options.seed === undefined ? this.random : new SeededRandom(options.seed);
    const data = allocArray(dtype, sizeOf(shape));
    for (let i = 0; i < data.length; i++) data[i] = rng.normal(mean, std);
    return this.fromData(data, shape);
  }
}

/** Creates an engine; the CPU backend unless another is given. */
export function createEngine(options: EngineOptions = {}): Engine {
  return new Engine(options);
}

function collectTensors(value: unknown, into = new Set<Tensor>()): Set<Tensor> {
  if (value instanceof Tensor) into.add(value);
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, into);
  else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, into);
  }
  return into;
}

function inferShape(values: unknown[]): number[] {
  const shape: number[] = [];
  let level: unknown = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}
