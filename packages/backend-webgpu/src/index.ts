/**
 * @lowrank/backend-webgpu: lowrank's tensor kernels on WebGPU, through navigator.gpu
 * in browsers and Dawn (the `webgpu` package) in Node.
 */
import type { BackendPlugin } from '@lowrank/core';
import { WebGpuBackend, type WebGpuBackendOptions } from './backend.js';

export { WebGpuBackend, type WebGpuBackendOptions, type WebGpuInfo } from './backend.js';
export type { DeviceOptions } from './device.js';
export {
  LARGE_TILE,
  type MatmulTile,
  SMALL_TILE,
  TALL_TILE,
  tileName,
} from './kernels/matmul-tiles.js';

/** Requests a device (see the options) and returns a backend for `createEngine({ backend })`. */
export function createWebGpuBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  return WebGpuBackend.create(options);
}

/** The backend as a plugin: `engine.use(webgpu()); await engine.setBackend('webgpu')`. */
export function webgpu(options: WebGpuBackendOptions = {}): BackendPlugin {
  return { kind: 'backend', name: 'webgpu', create: () => createWebGpuBackend(options) };
}
