import { type LayerInfo, layerInfo, nn, type Tensor } from '@lowrank/core';
import type { AdmmLayer } from './options.js';

/** A constrained layer found in the model: its module, geometry and weight `W`. */
export interface ResolvedLayer extends AdmmLayer {
  module: nn.Linear | nn.Conv2d;
  info: LayerInfo;
  weight: Tensor;
}

/**
 * Finds each layer in the model and checks, before any training, that its decomposition
 * supports it and can project, and that its ranks are within the decomposition's bounds.
 */
export function resolveLayers(model: nn.Module, layers: readonly AdmmLayer[]): ResolvedLayer[] {
  if (layers.length === 0)
    throw new Error('admm: no layers to constrain; pass at least one { name, decomposition, ranks }');
  const seen = new Set<string>();
  return layers.map((layer) => {
    const { name, decomposition, ranks } = layer;
    if (seen.has(name)) throw new Error(`admm: layer '${name}' is listed twice`);
    seen.add(name);
    const module = findLayer(model, name);
    const info = layerInfo(name, module);
    const pluginName = decomposition?.name ?? String(decomposition);
    if (typeof decomposition?.project !== 'function') {
      throw new TypeError(
        `admm: the decomposition '${pluginName}' given for '${name}' has no project(); ADMM's Z-step needs a decomposition plugin with project (tt, tucker2, svd, cp, tr)`,
      );
    }
    const support = decomposition.supports(info);
    if (!support.ok) throw new Error(`admm: '${pluginName}' cannot decompose '${name}': ${support.reason}`);
    const spec = decomposition.rankSpec(info);
    if (!Array.isArray(ranks) || ranks.length !== spec.labels.length) {
      throw new RangeError(
        `admm: '${name}' takes ${spec.labels.length} ${pluginName} rank(s) [${spec.labels.join(', ')}], got [${String(ranks)}]`,
      );
    }
    ranks.forEach((r, i) => {
      if (!Number.isInteger(r) || r < spec.min[i] || r > spec.max[i]) {
        throw new RangeError(
          `admm: rank ${spec.labels[i]} = ${r} of '${name}' is out of range for ${pluginName}: it must be an integer in [${spec.min[i]}, ${spec.max[i]}]`,
        );
      }
    });
    return { ...layer, module, info, weight: module.weight };
  });
}

function findLayer(model: nn.Module, name: string): nn.Linear | nn.Conv2d {
  let module: nn.Module;
  try {
    module = model.getModule(name);
  } catch (e) {
    throw new Error(`admm: layer '${name}' not found in the model: ${(e as Error).message}`);
  }
  if (!(module instanceof nn.Linear || module instanceof nn.Conv2d)) {
    throw new TypeError(
      `admm: layer '${name}' is a ${module.typeName}; only Linear and Conv2d layers can be constrained`,
    );
  }
  return module;
}
