import type { Engine } from '../engine.js';
import {
  int64ToInt32,
  parseSafetensors,
  type SafetensorsTensorInput,
  serializeSafetensors,
} from '../io/safetensors.js';
import type { Tensor } from '../tensor.js';
import { buildModule, type ModuleBuilder } from './builders.js';
import type { Module, ModuleDescription } from './module.js';

const DESCRIPTION_KEY = 'lowrank.module';

/**
 * Serialises a module's parameters and buffers as safetensors, with its JSON
 * description in the metadata so that `loadModule` can rebuild it without code.
 */
export async function saveModule(module: Module): Promise<Uint8Array> {
  const tensors: Record<string, SafetensorsTensorInput> = {};
  for (const [name, t] of module.stateDict()) tensors[name] = await toSafetensors(t);
  return serializeSafetensors(tensors, {
    [DESCRIPTION_KEY]: JSON.stringify(module.describe()),
    format: 'lowrank',
  });
}

async function toSafetensors(t: Tensor): Promise<SafetensorsTensorInput> {
  const data = await t.data();
  const shape = [...t.shape];
  if (data instanceof Float64Array) return { dtype: 'F64', shape, data };
  if (data instanceof Float32Array) return { dtype: 'F32', shape, data };
  return { dtype: 'I32', shape, data };
}

/**
 * Reads safetensors bytes (ours or PyTorch's) into tensors by name: floats keep
 * float32/float64 (F16/BF16 widen to float32), integers become int32 (an int64
 * value outside the int32 range is an error naming the tensor).
 */
export function readStateDict(engine: Engine, bytes: Uint8Array): Map<string, Tensor> {
  const file = parseSafetensors(bytes);
  const out = new Map<string, Tensor>();
  for (const [name, t] of file.tensors) {
    let data: Float32Array | Float64Array | Int32Array;
    switch (t.dtype) {
      case 'F64':
      case 'F32':
      case 'F16':
      case 'BF16':
        data = t.data;
        break;
      case 'I64':
      case 'U64':
        data = int64ToInt32(t.data, `tensor '${name}'`);
        break;
      case 'U32':
        data = Float64Array.from(t.data);
        break;
      default:
        data = Int32Array.from(t.data);
    }
    out.set(name, engine.fromData(data, t.shape));
  }
  return out;
}

/** Loads safetensors weights into an existing module (strict by default; see Module.loadStateDict). */
export function loadWeights(module: Module, bytes: Uint8Array, options: { strict?: boolean } = {}): void {
  const state = readStateDict(module.engine, bytes);
  try {
    module.loadStateDict(state, options);
  } finally {
    for (const t of state.values()) t.dispose();
  }
}

/** Rebuilds a module saved by `saveModule`: its tree from the description, then its weights. */
export function loadModule(
  engine: Engine,
  bytes: Uint8Array,
  builders: Readonly<Record<string, ModuleBuilder>> = {},
): Module {
  const { metadata } = parseSafetensors(bytes);
  const json = metadata[DESCRIPTION_KEY];
  if (!json) {
    throw new Error(
      `loadModule: the file has no '${DESCRIPTION_KEY}' description (not saved by saveModule); build the model in code and use loadWeights`,
    );
  }
  const module = buildModule(engine, JSON.parse(json) as ModuleDescription, builders);
  loadWeights(module, bytes);
  return module;
}
