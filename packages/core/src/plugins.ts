import type { Backend } from './backend.js';
import type { DecompositionPlugin } from './decomposition/plugin.js';
import type { Engine } from './engine.js';
import type { NormPlugin } from './norm/plugin.js';
import type { RankSelectorPlugin } from './rank/plugin.js';

/**
 * Plugin kinds and their interfaces. Each decomposition, norm, rank selector and
 * backend is a plugin registered with `engine.use(plugin)`. The interfaces of the
 * decomposition, norm and rank kinds grow with the packages that implement them;
 * what every plugin has is a kind, a name and an optional `setup` hook.
 */
export interface PluginBase<K extends string = string> {
  readonly kind: K;
  readonly name: string;
  readonly version?: string;
  /** Called once by `engine.use`, e.g. to check that the backend has the kernels the plugin needs. */
  setup?(engine: Engine): void;
}

export interface BackendPlugin extends PluginBase<'backend'> {
  /** Creates the backend (a GPU backend needs an async device request). */
  create(): Backend | Promise<Backend>;
}

export interface TrainerPluginBase extends PluginBase<'trainer'> {}

/** Kind -> plugin interface. Packages may extend an entry's interface by declaration merging. */
export interface PluginKinds {
  backend: BackendPlugin;
  decomposition: DecompositionPlugin;
  norm: NormPlugin;
  rank: RankSelectorPlugin;
  trainer: TrainerPluginBase;
}
export type PluginKind = keyof PluginKinds;
export type AnyPlugin = PluginKinds[PluginKind];

const KINDS: readonly PluginKind[] = ['backend', 'decomposition', 'norm', 'rank', 'trainer'];

/** Plugins by kind and name. Unknown and duplicate names are errors that list what is registered. */
export class PluginRegistry {
  private readonly byKind = new Map<PluginKind, Map<string, AnyPlugin>>(KINDS.map((k) => [k, new Map()]));

  register(plugin: AnyPlugin): void {
    if (plugin === null || typeof plugin !== 'object') {
      throw new TypeError(
        `engine.use: expected a plugin object, got ${plugin === null ? 'null' : typeof plugin}`,
      );
    }
    const kinds = this.byKind.get(plugin.kind);
    if (!kinds) {
      throw new TypeError(
        `engine.use: plugin '${String(plugin.name)}' has unknown kind '${String(plugin.kind)}'; known kinds: ${KINDS.join(', ')}`,
      );
    }
    if (typeof plugin.name !== 'string' || plugin.name.length === 0) {
      throw new TypeError(`engine.use: a ${plugin.kind} plugin needs a non-empty string name`);
    }
    if (kinds.has(plugin.name)) {
      throw new Error(
        `engine.use: a ${plugin.kind} plugin named '${plugin.name}' is already registered (registered ${plugin.kind} plugins: ${[...kinds.keys()].join(', ')})`,
      );
    }
    kinds.set(plugin.name, plugin);
  }

  get<K extends PluginKind>(kind: K, name: string): PluginKinds[K] {
    const kinds = this.byKind.get(kind);
    if (!kinds) throw new TypeError(`Unknown plugin kind '${kind}'; known kinds: ${KINDS.join(', ')}`);
    const plugin = kinds.get(name);
    if (!plugin) {
      const known = [...kinds.keys()];
      throw new Error(
        `No ${kind} plugin named '${name}' is registered; ${known.length ? `registered: ${known.join(', ')}` : 'none is registered'}. Register it with engine.use(...)`,
      );
    }
    return plugin as PluginKinds[K];
  }

  has(kind: PluginKind, name: string): boolean {
    return this.byKind.get(kind)?.has(name) ?? false;
  }

  list<K extends PluginKind>(kind: K): PluginKinds[K][] {
    return [...(this.byKind.get(kind)?.values() ?? [])] as PluginKinds[K][];
  }
}
