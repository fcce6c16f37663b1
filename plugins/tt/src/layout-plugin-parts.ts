import { checkRanks, type LayerInfo, type RankSpec, type Support } from '@lowrank/core';

/** The parts of a plugin that follow from its layouts (see `layoutPluginParts`). */
export interface LayoutPluginParts<L> {
  /** Supported when the layer has a layout; otherwise the layout's reason. */
  supports(layer: LayerInfo): Support;
  /** The layout of a supported layer; throws the reason, naming the plugin and the layer, otherwise. */
  layout(layer: LayerInfo): L;
  /** The rank spec of the layer's layout. */
  rankSpec(layer: LayerInfo): RankSpec;
  /** The layout, after checking `ranks` against its rank spec (for `cost` and `layer`). */
  checkedLayout(layer: LayerInfo, ranks: readonly number[]): L;
}

const isReason = (l: object): l is { reason: string } => 'reason' in l;

/**
 * What the TT and TR plugins derive alike from their layout of a layer (`layoutOf`, the
 * layout or the reason there is none) and the ranks a layout takes (`rankSpecOf`).
 */
export function layoutPluginParts<L extends { kind: string }>(
  plugin: string,
  layoutOf: (layer: LayerInfo) => L | { reason: string },
  rankSpecOf: (layout: L) => RankSpec,
): LayoutPluginParts<L> {
  const layout = (layer: LayerInfo): L => {
    const l = layoutOf(layer);
    if (isReason(l)) {
      throw new Error(`${plugin}: cannot decompose '${layer.name}': ${l.reason}`);
    }
    return l;
  };
  return {
    supports(layer) {
      const l = layoutOf(layer);
      return isReason(l) ? { ok: false, reason: l.reason } : { ok: true };
    },
    layout,
    rankSpec: (layer) => rankSpecOf(layout(layer)),
    checkedLayout(layer, ranks) {
      const l = layout(layer);
      checkRanks(plugin, layer, ranks, rankSpecOf(l));
      return l;
    },
  };
}
