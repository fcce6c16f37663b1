import { type DecomposeOptions, type Engine, type nn, norm, sub, Tensor } from '@lowrank/core';
import { resolveLayers } from './constrained-layers.js';
import type { AdmmLayer } from './options.js';

/** One layer replaced by `factorizeLayers`. */
export interface FactorizedLayer {
  name: string;
  ranks: number[];
  /** `‖W - What‖ / ‖W‖` of the decomposition that replaced the layer. */
  relativeError: number;
  /** The factorized module now in the model. */
  module: nn.Module;
}

/**
 * The last step of ADMM compression: decomposes each layer's weight at its target ranks
 * `r*`, builds the decomposition's factorized layer (keeping the bias) and swaps it into
 * the model in place of the dense one, whose tensors are freed.
 */
export async function factorizeLayers(
  engine: Engine,
  model: nn.Module,
  layers: readonly AdmmLayer[],
  options: Pick<DecomposeOptions, 'seed'> = {},
): Promise<FactorizedLayer[]> {
  const resolved = resolveLayers(model, layers);
  const out: FactorizedLayer[] = [];
  for (const layer of resolved) {
    const { decomposition, info, module, weight } = layer;
    const factors = await decomposition.decompose(weight, info, layer.ranks, {
      metric: layer.metric,
      seed: options.seed,
    });
    let replacement: nn.Module;
    let relativeError: number;
    try {
      const error = engine.noGrad(() =>
        engine.tidy(() => norm(sub(weight, decomposition.reconstruct(factors))).div(norm(weight))),
      );
      relativeError = await error.item();
      error.dispose();
      replacement = decomposition.layer(factors, info, module.bias);
    } finally {
      disposeTensors(factors);
    }
    const dot = layer.name.lastIndexOf('.');
    const parent = dot < 0 ? model : model.getModule(layer.name.slice(0, dot));
    parent.replaceModule(layer.name.slice(dot + 1), replacement);
    module.dispose();
    out.push({ name: layer.name, ranks: [...layer.ranks], relativeError, module: replacement });
  }
  return out;
}

/** Frees the tensors in a factors object (any plugin's: plain objects and arrays of tensors). */
function disposeTensors(value: unknown): void {
  if (value instanceof Tensor) value.dispose();
  else if (Array.isArray(value)) for (const v of value) disposeTensors(v);
  else if (value !== null && typeof value === 'object')
    for (const v of Object.values(value)) disposeTensors(v);
}
