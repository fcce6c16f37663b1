import { type DecompositionPlugin, type Engine, type LayerInfo, layerInfo, nn } from '@lowrank/core';

/** A layer name (exact) or a pattern its dotted name must match. */
export type LayerPattern = string | RegExp;

/**
 * Which decomposition compresses which layers: one plugin name for every layer, or one
 * per layer kind with per-layer overrides by name. Names are those of registered plugins.
 */
export type DecompositionRecipe =
  | string
  | {
      conv?: string;
      linear?: string;
      /** By layer name, overriding the kind's choice. */
      layers?: Readonly<Record<string, string>>;
    };

export interface LayerSelectionOptions {
  decomposition: DecompositionRecipe;
  /** Only these layers (names or patterns); default all Conv2d and Linear layers. */
  include?: readonly LayerPattern[];
  /** Never these layers; wins over `include`. */
  exclude?: readonly LayerPattern[];
  /**
   * Leave the model's first conv layer dense, as the papers do (default true); a layer
   * named in `include` by its exact name is compressed anyway.
   */
  keepFirstConv?: boolean;
  /** Leave the model's last linear layer (the classifier) dense (default true); same override. */
  keepClassifier?: boolean;
}

/** A layer chosen for compression, with the plugin that will decompose it. */
export interface TargetLayer {
  name: string;
  module: nn.Conv2d | nn.Linear;
  /** Its geometry (without the input size, which calibration measures). */
  info: LayerInfo;
  decomposition: DecompositionPlugin;
}

/** A Conv2d or Linear layer left dense, and why. */
export interface SkippedLayer {
  name: string;
  kind: LayerInfo['kind'];
  reason: string;
}

export interface LayerSelectionResult {
  layers: TargetLayer[];
  skipped: SkippedLayer[];
}

/**
 * Picks the Conv2d and Linear layers of `model` to compress, in the model's order.
 * Layers a decomposition does not support (grouped convs, say) are skipped with the
 * plugin's reason, unless `include` names them exactly: then it is an error naming the
 * layer, as are include names and per-layer overrides that are not such layers.
 */
export function selectLayers(
  engine: Engine,
  model: nn.Module,
  options: LayerSelectionOptions,
): LayerSelectionResult {
  const candidates = model
    .namedModules()
    .filter((entry): entry is [string, nn.Conv2d | nn.Linear] => entry[0] !== '' && isDecomposable(entry[1]));
  const names = new Set(candidates.map(([name]) => name));
  const explicit = new Set((options.include ?? []).filter((p): p is string => typeof p === 'string'));
  const overrides = typeof options.decomposition === 'string' ? {} : (options.decomposition.layers ?? {});
  for (const name of [...explicit, ...Object.keys(overrides)]) {
    if (!names.has(name)) {
      throw new Error(
        `selectLayers: '${name}' is not a Conv2d or Linear layer of the model; its layers are ${[...names].join(', ') || 'none'}`,
      );
    }
  }
  const firstConv = candidates.find(([, m]) => m instanceof nn.Conv2d)?.[0];
  const classifier = [...candidates].reverse().find(([, m]) => m instanceof nn.Linear)?.[0];
  const layers: TargetLayer[] = [];
  const skipped: SkippedLayer[] = [];
  for (const [name, module] of candidates) {
    const info = layerInfo(name, module);
    const skip = (reason: string) => skipped.push({ name, kind: info.kind, reason });
    const excludedBy = options.exclude?.find((p) => matches(p, name));
    if (excludedBy !== undefined) {
      skip(`excluded by ${describe(excludedBy)}`);
      continue;
    }
    if (options.include && !options.include.some((p) => matches(p, name))) {
      skip('not matched by include');
      continue;
    }
    const named = explicit.has(name);
    if (!named && name === firstConv && (options.keepFirstConv ?? true)) {
      skip('first conv layer, kept dense (keepFirstConv)');
      continue;
    }
    if (!named && name === classifier && (options.keepClassifier ?? true)) {
      skip('classifier (last linear layer), kept dense (keepClassifier)');
      continue;
    }
    const pluginName = decompositionName(options.decomposition, name, info.kind);
    if (pluginName === undefined) {
      const reason = `the recipe names no decomposition for ${info.kind === 'conv2d' ? 'conv' : 'linear'} layers`;
      if (named) throw new Error(`selectLayers: '${name}' is included but ${reason}`);
      skip(reason);
      continue;
    }
    const decomposition = engine.plugins.get('decomposition', pluginName);
    const support = decomposition.supports(info);
    if (!support.ok) {
      if (named) {
        throw new Error(
          `selectLayers: '${name}' is included but ${pluginName} cannot decompose it: ${support.reason}; exclude it or choose another decomposition for it`,
        );
      }
      skip(`${pluginName} cannot decompose it: ${support.reason}`);
      continue;
    }
    layers.push({ name, module, info, decomposition });
  }
  return { layers, skipped };
}

/** Conv2d and Linear layers, the kinds a decomposition replaces. */
export function isDecomposable(module: nn.Module): module is nn.Conv2d | nn.Linear {
  return module instanceof nn.Conv2d || module instanceof nn.Linear;
}

function decompositionName(
  recipe: DecompositionRecipe,
  name: string,
  kind: LayerInfo['kind'],
): string | undefined {
  if (typeof recipe === 'string') return recipe;
  return recipe.layers?.[name] ?? (kind === 'conv2d' ? recipe.conv : recipe.linear);
}

function matches(pattern: LayerPattern, name: string): boolean {
  if (typeof pattern === 'string') return pattern === name;
  // A fresh copy: a global or sticky RegExp keeps state between test() calls.
  return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')).test(name);
}

function describe(pattern: LayerPattern): string {
  return typeof pattern === 'string' ? `name '${pattern}'` : `pattern ${pattern}`;
}
