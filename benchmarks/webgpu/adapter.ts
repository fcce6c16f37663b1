import type { WebGpuBackend } from '@lowrank/backend-webgpu';

/** What the results record about the adapter, so that numbers from different machines are not mixed up. */
export interface AdapterRecord {
  /** The adapter's device name (e.g. 'NVIDIA H100 80GB HBM3', 'llvmpipe (LLVM 15.0.6, 256 bits)'). */
  name: string;
  vendor: string;
  architecture: string;
  description: string;
  /** WebGPU's own flag: the browser or Dawn chose a fallback adapter. */
  fallback: boolean;
  /** A CPU rasterizer (Mesa llvmpipe or lavapipe, SwiftShader), flagged as fallback or not. */
  software: boolean;
  /** The device runs in compatibility mode (OpenGL ES). */
  compatibility: boolean;
}

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software/i;

export function describeAdapter(backend: WebGpuBackend): AdapterRecord {
  const info = backend.device.adapterInfo;
  const name = info.device || backend.info.adapter;
  return {
    name,
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    fallback: info.isFallbackAdapter,
    software: info.isFallbackAdapter || SOFTWARE.test(`${name} ${info.description}`),
    compatibility: backend.info.compatibility,
  };
}

/**
 * Dense fp32 peaks (non-tensor-core FMA rate at boost clock, NVIDIA's data sheets), in
 * GFLOP/s, by a pattern of the adapter's name; the more specific patterns come first.
 */
const NVIDIA_FP32_PEAKS: readonly [RegExp, number][] = [
  [/H100.*PCIe/i, 51_200],
  [/H100.*NVL/i, 60_000],
  [/H100/i, 67_000],
  [/H200.*NVL/i, 60_000],
  [/H200/i, 67_000],
  [/A100/i, 19_500],
  [/L40S/i, 91_600],
  [/L4\b/i, 30_300],
  [/A10G?\b/i, 31_200],
  [/T4\b/i, 8_100],
];

/** The fp32 peak of a real NVIDIA GPU from the table, or null (unknown, another vendor, software). */
export function knownPeakGflops(adapter: AdapterRecord): number | null {
  const text = `${adapter.name} ${adapter.description}`;
  if (adapter.software || !/nvidia/i.test(`${adapter.vendor} ${text}`)) return null;
  return NVIDIA_FP32_PEAKS.find(([pattern]) => pattern.test(text))?.[1] ?? null;
}
