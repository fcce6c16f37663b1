import type { nn } from '@lowrank/core';

/**
 * The replacement step: swaps each named layer of `model` for its replacement, all or
 * none (every parent is resolved before anything changes), and returns the dense
 * modules taken out, by name. `replaceLayers(model, originals)` puts them back.
 */
export function replaceLayers(
  model: nn.Module,
  replacements: ReadonlyMap<string, nn.Module>,
): Map<string, nn.Module> {
  const swaps = [...replacements].map(([name, replacement]) => {
    const dot = name.lastIndexOf('.');
    const parent = model.getModule(dot < 0 ? '' : name.slice(0, dot));
    const child = name.slice(dot + 1);
    return { name, parent, child, original: parent.getModule(child), replacement };
  });
  const originals = new Map<string, nn.Module>();
  for (const { name, parent, child, original, replacement } of swaps) {
    parent.replaceModule(child, replacement);
    originals.set(name, original);
  }
  return originals;
}
