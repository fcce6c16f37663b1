import type { DecompositionPlugin, LayerInfo, Metric } from '@lowrank/core';

/** Factors of the layerwise decomposition: the factors of the plugin that made them. */
interface RoutedFactors {
  plugin: DecompositionPlugin;
  factors: unknown;
}

/**
 * One decomposition made of several, each layer routed by name to its own plugin, so
 * that one rank selection (one budget) spans layers of different decompositions
 * (Tucker2 for the convs, SVD for the linears). With a single plugin it is that plugin.
 */
export function layerwiseDecomposition(
  byLayer: ReadonlyMap<string, DecompositionPlugin>,
): DecompositionPlugin {
  const plugins = [...new Set(byLayer.values())];
  if (plugins.length === 1) return plugins[0];
  const route = (layer: LayerInfo): DecompositionPlugin => {
    const plugin = byLayer.get(layer.name);
    if (!plugin) {
      throw new Error(
        `layerwise decomposition: no decomposition for '${layer.name}' (it has ${[...byLayer.keys()].join(', ')})`,
      );
    }
    return plugin;
  };
  const metrics = (['frobenius', 'whitened', 'weighted'] as const).filter((kind) =>
    plugins.every((p) => (p.metrics ?? ['frobenius']).includes(kind)),
  );
  return {
    kind: 'decomposition',
    name: plugins.map((p) => p.name).join('+'),
    metrics,
    supports: (layer) => route(layer).supports(layer),
    rankSpec: (layer) => route(layer).rankSpec(layer),
    cost: (layer, ranks) => route(layer).cost(layer, ranks),
    async decompose(weight, layer, ranks, options): Promise<RoutedFactors> {
      const plugin = route(layer);
      return { plugin, factors: await plugin.decompose(weight, layer, ranks, options) };
    },
    reconstruct: (routed) => (routed as RoutedFactors).plugin.reconstruct((routed as RoutedFactors).factors),
    project: (weight, layer, ranks, metric?: Metric) => route(layer).project(weight, layer, ranks, metric),
    layer: (routed, original, bias) =>
      (routed as RoutedFactors).plugin.layer((routed as RoutedFactors).factors, original, bias),
  };
}
