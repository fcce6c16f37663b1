import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { type Engine, nn, parseSafetensors } from '@lowrank/core';
import {
  ARCHITECTURE_NAMES,
  ARCHITECTURES,
  type ArchitectureName,
  detectArchitecture,
} from './architectures.js';
import { allModuleBuilders } from './module-builders.js';
import { readOnnxModel } from './onnx-model.js';
import { UsageError } from './usage-error.js';

export type ModelFormat = 'onnx' | 'safetensors';

/** A model read from a file, with what is known of it. */
export interface LoadedModel {
  model: nn.Module;
  format: ModelFormat;
  /** How it was read, for logs and the report: 'ONNX graph', 'LeNet5 (lowrank safetensors)'... */
  description: string;
  /** One sample's shape when the file says it (ONNX inputs do); otherwise the data decides. */
  inputShape?: number[];
}

/** The model format a path's extension names, or a usage error naming `flag`. */
export function modelFormat(path: string, flag: string, command: string): ModelFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.onnx') return 'onnx';
  if (ext === '.safetensors') return 'safetensors';
  throw new UsageError(
    `${flag} '${path}' must end in .onnx (ONNX) or .safetensors (lowrank or PyTorch weights)`,
    command,
  );
}

/**
 * Reads a model: ONNX through @lowrank/onnx; a lowrank .safetensors (saved with
 * `saveModule`) through its own description; a plain (PyTorch) state dict into the
 * architecture `arch` names, or the one whose parameter names it matches exactly.
 * A missing file is a usage error; an unreadable one an error naming the file.
 */
export async function loadModelFile(
  engine: Engine,
  path: string,
  options: { command: string; arch?: ArchitectureName },
): Promise<LoadedModel> {
  const format = modelFormat(path, 'the model', options.command);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) {
    throw new UsageError(`the model file '${path}' does not exist (or is not a file)`, options.command);
  }
  const bytes = new Uint8Array(await readFile(path));
  try {
    if (format === 'onnx') {
      const { model, inputShape } = readOnnxModel(engine, bytes);
      return { model, format, description: 'ONNX graph', inputShape };
    }
    return readSafetensorsModel(engine, bytes, options.arch);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new Error(`cannot read the model '${path}': ${e instanceof Error ? e.message : String(e)}`);
  }
}

function readSafetensorsModel(
  engine: Engine,
  bytes: Uint8Array,
  arch: ArchitectureName | undefined,
): LoadedModel {
  const file = parseSafetensors(bytes);
  if (arch === undefined && file.metadata['lowrank.module'] !== undefined) {
    const model = nn.loadModule(engine, bytes, allModuleBuilders);
    return { model, format: 'safetensors', description: `${model.typeName} (lowrank safetensors)` };
  }
  const names = new Set(file.tensors.keys());
  const chosen = arch ?? detectArchitecture(engine, names);
  if (chosen === undefined) {
    throw new Error(
      `it is a plain state dict (no lowrank description) whose tensor names match none of the known architectures (${ARCHITECTURE_NAMES.join(', ')}); pass --arch, or save the model with lowrank's saveModule`,
    );
  }
  const model = ARCHITECTURES[chosen](engine);
  try {
    nn.loadWeights(model, bytes);
  } catch (e) {
    model.dispose();
    throw new Error(`as --arch ${chosen}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const how = arch === undefined ? 'recognised by its tensor names' : `--arch ${arch}`;
  return { model, format: 'safetensors', description: `${model.typeName} (plain state dict, ${how})` };
}
