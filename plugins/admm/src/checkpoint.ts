import {
  type Engine,
  type nn,
  type optim,
  parseSafetensors,
  type SafetensorsTensorInput,
  serializeSafetensors,
  type Tensor,
} from '@lowrank/core';
import type { AdmmRoundReport } from './options.js';

/** Where a run's checkpoint lives: the last saved bytes, or null when there is none yet. */
export interface CheckpointStore {
  load(): Promise<Uint8Array | null>;
  /** Must replace the previous checkpoint all at once (a file store writes a temporary and renames it). */
  save(bytes: Uint8Array): Promise<void>;
}

/** A checkpoint kept in memory (tests, browsers); `bytes` is the last one saved. */
export function memoryCheckpoint(
  initial: Uint8Array | null = null,
): CheckpointStore & { bytes: Uint8Array | null } {
  return {
    bytes: initial,
    async load() {
      return this.bytes;
    },
    async save(bytes) {
      this.bytes = bytes;
    },
  };
}

/** The scalars of a checkpoint, stored as JSON in the safetensors metadata. */
export interface CheckpointInfo {
  format: 'lowrank.admm/1';
  /** Rounds completed. */
  round: number;
  rho: number;
  layers: { name: string; ranks: number[] }[];
  initialResidual: number;
  history: AdmmRoundReport[];
  optimizer: { stepCount: number; lr: number; counters: [string, number][] };
}

/** What a checkpoint restores, tensors created on the engine (the caller disposes them). */
export interface CheckpointContents {
  info: CheckpointInfo;
  model: Map<string, Tensor>;
  z: Tensor[];
  u: Tensor[];
  optimizer: optim.OptimizerState;
}

const META_KEY = 'lowrank.admm';

/** W (the whole model state), Z, U, the optimizer state and the scalars, as safetensors bytes. */
export async function encodeCheckpoint(
  info: Omit<CheckpointInfo, 'format' | 'optimizer'>,
  model: nn.Module,
  values: { z: readonly Tensor[]; u: readonly Tensor[] },
  optimizer: optim.Optimizer,
): Promise<Uint8Array> {
  const tensors = new Map<string, SafetensorsTensorInput>();
  for (const [name, t] of model.stateDict()) tensors.set(`model.${name}`, await raw(t));
  for (const [l, layer] of info.layers.entries()) {
    tensors.set(`z.${layer.name}`, await raw(values.z[l]));
    tensors.set(`u.${layer.name}`, await raw(values.u[l]));
  }
  const state = optimizer.stateDict();
  for (const [key, t] of state.tensors) tensors.set(`optimizer.${key}`, await raw(t));
  const full: CheckpointInfo = {
    format: 'lowrank.admm/1',
    ...info,
    optimizer: { stepCount: state.stepCount, lr: state.lr, counters: [...state.counters] },
  };
  return serializeSafetensors(tensors, { [META_KEY]: JSON.stringify(full) });
}

/** Reads a checkpoint written by `encodeCheckpoint`; an error says what is wrong with the bytes. */
export function decodeCheckpoint(engine: Engine, bytes: Uint8Array): CheckpointContents {
  const file = parseSafetensors(bytes);
  const text = file.metadata[META_KEY];
  if (text === undefined)
    throw new Error(`admm: the checkpoint has no '${META_KEY}' metadata; it was not written by admmTrain`);
  const info = JSON.parse(text) as CheckpointInfo;
  if (info.format !== 'lowrank.admm/1')
    throw new Error(`admm: unknown checkpoint format '${String(info.format)}'`);
  const out: CheckpointContents = {
    info,
    model: new Map(),
    z: [],
    u: [],
    optimizer: {
      stepCount: info.optimizer.stepCount,
      lr: info.optimizer.lr,
      tensors: new Map(),
      counters: new Map(info.optimizer.counters),
    },
  };
  const byLayer = new Map<string, { z?: Tensor; u?: Tensor }>();
  for (const [name, t] of file.tensors) {
    if (t.dtype !== 'F32' && t.dtype !== 'F64' && t.dtype !== 'I32') {
      throw new Error(`admm: checkpoint tensor '${name}' has dtype ${t.dtype}; expected F32, F64 or I32`);
    }
    const tensor = engine.fromData(t.data, t.shape);
    const dot = name.indexOf('.');
    const [group, key] = [name.slice(0, dot), name.slice(dot + 1)];
    if (group === 'model') out.model.set(key, tensor);
    else if (group === 'optimizer') out.optimizer.tensors.set(key, tensor);
    else if (group === 'z' || group === 'u') {
      const entry = byLayer.get(key) ?? {};
      entry[group] = tensor;
      byLayer.set(key, entry);
    } else {
      tensor.dispose();
      throw new Error(`admm: unexpected tensor '${name}' in the checkpoint`);
    }
  }
  for (const { name } of info.layers) {
    const entry = byLayer.get(name);
    if (!entry?.z || !entry.u) throw new Error(`admm: the checkpoint lacks Z or U of layer '${name}'`);
    out.z.push(entry.z);
    out.u.push(entry.u);
  }
  return out;
}

/** Frees every tensor a decoded checkpoint holds. */
export function disposeCheckpoint(c: CheckpointContents): void {
  for (const t of [...c.model.values(), ...c.z, ...c.u, ...c.optimizer.tensors.values()]) t.dispose();
}

async function raw(t: Tensor): Promise<SafetensorsTensorInput> {
  const data = await t.data();
  const shape = [...t.shape];
  if (data instanceof Float64Array) return { dtype: 'F64', shape, data };
  if (data instanceof Float32Array) return { dtype: 'F32', shape, data };
  return { dtype: 'I32', shape, data: Int32Array.from(data) };
}
