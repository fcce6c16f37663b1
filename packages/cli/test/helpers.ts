import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../src/cli-io.js';

/** The reference models beside the repository. */
export const MODELS = fileURLToPath(new URL('../../../../shared/models/', import.meta.url));
export const LENET_SAFETENSORS = join(MODELS, 'fmnist-lenet5.safetensors');
export const LENET_ONNX = join(MODELS, 'fmnist-lenet5.onnx');

/** An io that records what the command writes. */
export function recordingIo(stderrIsTty = false): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), stderrIsTty };
}

/** A fresh temporary directory, removed by the returned function. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'lowrank-cli-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
