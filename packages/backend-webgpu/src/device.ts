/** How the backend gets its GPUDevice: a given one, navigator.gpu, or Dawn in Node. */
export interface DeviceOptions {
  /** Use this device (the backend then leaves it alive on dispose). */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
  /**
   * Node only: the Dawn backend to use ('vulkan', 'metal', 'd3d12', 'opengl',
   * 'opengles'). Default: the platform's default, then OpenGL ES in compatibility
   * mode (e.g. Mesa's llvmpipe on a machine without a GPU).
   */
  dawnBackend?: string;
  /** Node only: extra flags for Dawn's `create()`, e.g. 'enable-dawn-features=...'. */
  dawnFlags?: readonly string[];
}

export interface AcquiredDevice {
  device: GPUDevice;
  /** Vendor, architecture and description of the adapter, as far as it tells. */
  adapter: string;
  /** Compatibility mode (e.g. OpenGL ES): lower limits, at most 4 storage buffers per stage by default. */
  compatibility: boolean;
  owned: boolean;
}

interface Candidate {
  label: string;
  gpu: () => Promise<GPU>;
  featureLevel: 'core' | 'compatibility';
}

/** Spelled as a variable so that bundlers for browsers do not try to resolve Dawn's native module. */
const DAWN_MODULE = 'webgpu';

const isNode = () => typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/**
 * Dawn instances by their flags, created once per process and never released:
 * dawn.node keeps polling an instance for events after its GPU object is garbage-
 * collected, and then crashes or deadlocks in InstanceBase::ProcessEvents.
 */
const dawnInstances = new Map<string, GPU>();

async function dawn(flags: readonly string[]): Promise<GPU> {
  const key = flags.join(' ');
  let gpu = dawnInstances.get(key);
  if (!gpu) {
    // Mesa's EGL needs a platform when there is no display; it must be set before Dawn starts.
    process.env.EGL_PLATFORM ??= 'surfaceless';
    const { create } = (await import(/* @vite-ignore */ DAWN_MODULE)) as typeof import('webgpu');
    gpu = create([...flags]);
    dawnInstances.set(key, gpu);
  }
  return gpu;
}

/** Where to look for an adapter, in order; `gpu` is made only when its turn comes. */
function candidates(options: DeviceOptions): Candidate[] {
  const navGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (navGpu) {
    return [
      { label: 'navigator.gpu', gpu: async () => navGpu, featureLevel: 'core' },
      { label: 'navigator.gpu (compatibility)', gpu: async () => navGpu, featureLevel: 'compatibility' },
    ];
  }
  if (!isNode()) throw new Error('WebGPU is not available here: no navigator.gpu and not Node');
  const flags = options.dawnFlags ?? [];
  const backend = options.dawnBackend;
  if (backend) {
    const featureLevel = backend === 'opengl' || backend === 'opengles' ? 'compatibility' : 'core';
    return [{ label: `dawn ${backend}`, gpu: () => dawn([`backend=${backend}`, ...flags]), featureLevel }];
  }
  return [
    { label: 'dawn default backend', gpu: () => dawn(flags), featureLevel: 'core' },
    {
      label: 'dawn opengles (compatibility)',
      gpu: () => dawn(['backend=opengles', ...flags]),
      featureLevel: 'compatibility',
    },
  ];
}

/** The adapter's own compute limits (a device otherwise gets the spec's low defaults). */
function computeLimits(adapter: GPUAdapter): Record<string, number> {
  const keys = [
    'maxBufferSize',
    'maxStorageBufferBindingSize',
    'maxStorageBuffersPerShaderStage',
    'maxUniformBufferBindingSize',
    'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup',
    'maxComputeWorkgroupSizeX',
    'maxComputeWorkgroupSizeY',
    'maxComputeWorkgroupSizeZ',
    'maxComputeWorkgroupsPerDimension',
  ] as const;
  const limits: Record<string, number> = {};
  for (const key of keys) {
    const value = adapter.limits[key];
    if (typeof value === 'number') limits[key] = value;
  }
  return limits;
}

function describe(adapter: GPUAdapter): string {
  const info = adapter.info;
  const parts = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s);
  return parts.length ? [...new Set(parts)].join(' ') : 'unknown adapter';
}

export async function acquireDevice(options: DeviceOptions = {}): Promise<AcquiredDevice> {
  if (options.device) {
    return {
      device: options.device,
      adapter: 'a device given by the caller',
      compatibility: !options.device.features.has('core-features-and-limits'),
      owned: false,
    };
  }
  const tried: string[] = [];
  for (const c of candidates(options)) {
    let adapter: GPUAdapter | null;
    try {
      adapter = await (await c.gpu()).requestAdapter({
        featureLevel: c.featureLevel,
        powerPreference: options.powerPreference,
      });
    } catch (e) {
      tried.push(`${c.label}: ${(e as Error).message}`);
      continue;
    }
    if (!adapter) {
      tried.push(`${c.label}: no adapter`);
      continue;
    }
    const device = await adapter.requestDevice({ requiredLimits: computeLimits(adapter) });
    return {
      device,
      adapter: describe(adapter),
      compatibility: !adapter.features.has('core-features-and-limits'),
      owned: true,
    };
  }
  const hint = isNode()
    ? ' Without a GPU, Linux needs Mesa for the OpenGL ES fallback: apt-get install libegl-dev libegl-mesa0 libgl1-mesa-dri' +
      ' (and EGL_PLATFORM=surfaceless, which the backend sets when unset).'
    : '';
  throw new Error(`WebGPU: no adapter could be created (tried ${tried.join('; ')}).${hint}`);
}
