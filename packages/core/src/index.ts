/**
 * @lowrank/core: a tensor engine with reverse-mode autodiff, a CPU backend, nn
 * layers, optimizers, data utilities and the plugin interface of lowrank.
 */
export type { GradFn, SavedTensors } from './autodiff/node.js';
export type { Backend, BackendMemory, DataId, TensorInfo } from './backend.js';
export { CpuBackend } from './backends/cpu/cpu-backend.js';
export { type Batch, type BatchOptions, batches, type Normalization } from './data/batches.js';
export { DataFormatError, type IdxData, type IdxTensor, parseIdx, writeIdx } from './data/idx.js';
export { SeededRandom } from './data/prng.js';
export * from './decomposition/index.js';
export type { DataArray, DType, FloatArray } from './dtype.js';
export {
  createEngine,
  Engine,
  type EngineMemory,
  type EngineOptions,
  type SaveSpec,
  type TensorContainer,
} from './engine.js';
export * from './io/safetensors.js';
export * from './kernels.js';
export * as linalg from './linalg/index.js';
export * as nn from './nn/index.js';
export * from './norm/index.js';
export * from './ops/index.js';
export * as optim from './optim/index.js';
export * from './plugins.js';
export * from './rank/index.js';
export { broadcastShapes, formatShape, type Shape, sizeOf } from './shape.js';
export { type NestedArray, Tensor } from './tensor.js';
