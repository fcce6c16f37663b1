import type { LayerInfo, Support } from '@lowrank/core';

/** Ungrouped conv layers, and linear layers (the K = 1 case, three linears). */
export function tucker2Supports(layer: LayerInfo): Support {
  if (layer.kind !== 'linear' && layer.kind !== 'conv2d') {
    return { ok: false, reason: `its kind '${String(layer.kind)}' is neither 'linear' nor 'conv2d'` };
  }
  if (layer.groups !== 1) {
    return {
      ok: false,
      reason: `it is a grouped convolution (groups = ${layer.groups}), whose weight holds one block per group and whose channel modes do not mix across groups; split it into ${layer.groups} ungrouped convolutions to decompose each, or leave it dense`,
    };
  }
  return { ok: true };
}
