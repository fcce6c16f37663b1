// Node-only helpers (file system, zlib), kept out of the main entry so that core runs in browsers.
import { readFile } from 'node:fs/promises';
import type { Engine } from './engine.js';
import { writeFileAtomic } from './io/atomic-write.js';
import type { ModuleBuilder } from './nn/builders.js';
import type { Module } from './nn/module.js';
import { loadModule, loadWeights, saveModule } from './nn/serialize.js';

export { readIdxFile } from './data/idx-node.js';
export { writeFileAtomic } from './io/atomic-write.js';

/** Saves a module's weights and description as a .safetensors file (atomically). */
export async function saveModuleFile(path: string, module: Module): Promise<void> {
  await writeFileAtomic(path, await saveModule(module));
}

/** Loads a .safetensors file (ours or PyTorch's state dict) into an existing module. */
export async function loadWeightsFile(
  module: Module,
  path: string,
  options: { strict?: boolean } = {},
): Promise<void> {
  loadWeights(module, new Uint8Array(await readFile(path)), options);
}

/** Rebuilds a module saved by `saveModuleFile`. */
export async function loadModuleFile(
  engine: Engine,
  path: string,
  builders: Readonly<Record<string, ModuleBuilder>> = {},
): Promise<Module> {
  return loadModule(engine, new Uint8Array(await readFile(path)), builders);
}
