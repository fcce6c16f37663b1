import type { LayerInfo, Support } from '@lowrank/core';

/** Linear layers and ungrouped conv layers; a grouped conv's weight is not one `O x P` matrix. */
export function svdSupports(layer: LayerInfo): Support {
  if (layer.kind !== 'linear' && layer.kind !== 'conv2d') {
    return { ok: false, reason: `its kind '${String(layer.kind)}' is neither 'linear' nor 'conv2d'` };
  }
  if (layer.groups !== 1) {
    return {
      ok: false,
      reason: `it is a grouped convolution (groups = ${layer.groups}), whose weight holds one block per group; split it into ${layer.groups} ungrouped convolutions to decompose each, or leave it dense`,
    };
  }
  return { ok: true };
}
