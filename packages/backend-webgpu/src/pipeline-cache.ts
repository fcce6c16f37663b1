/** The kind of each binding of a kernel, in binding order: read-only storage, storage, uniform. */
export type BindingKind = 'read' | 'write' | 'uniform';

export interface CachedPipeline {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

/**
 * Compute pipelines by key (kernel name plus everything baked into its WGSL: op,
 * dtypes, ranks, transposes...). Shapes and strides are uniforms, so one pipeline
 * serves every size. Layouts are explicit (not 'auto') so that a binding the
 * compiler finds unused does not invalidate the bind group.
 */
export class PipelineCache {
  private readonly pipelines = new Map<string, CachedPipeline>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();

  constructor(private readonly device: GPUDevice) {}

  get(key: string, kinds: readonly BindingKind[], source: () => string): CachedPipeline {
    let cached = this.pipelines.get(key);
    if (!cached) {
      const layout = this.layout(kinds);
      const module = this.device.createShaderModule({ code: source(), label: key });
      const pipeline = this.device.createComputePipeline({
        label: key,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: 'main' },
      });
      cached = { pipeline, layout };
      this.pipelines.set(key, cached);
    }
    return cached;
  }

  private layout(kinds: readonly BindingKind[]): GPUBindGroupLayout {
    const key = kinds.join(',');
    let layout = this.layouts.get(key);
    if (!layout) {
      const types: Record<BindingKind, GPUBufferBindingType> = {
        read: 'read-only-storage',
        write: 'storage',
        uniform: 'uniform',
      };
      layout = this.device.createBindGroupLayout({
        entries: kinds.map((kind, binding) => ({
          binding,
          visibility: 0x4, // GPUShaderStage.COMPUTE
          buffer: { type: types[kind] },
        })),
      });
      this.layouts.set(key, layout);
    }
    return layout;
  }
}
