// Node-only: checkpoints as files, kept out of the main entry so that the plugin runs in browsers.
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@lowrank/core/node';
import type { CheckpointStore } from './checkpoint.js';

/**
 * A checkpoint file for `admmTrain`: written after every round to a temporary beside it and
 * renamed over it, so that an interrupted run leaves the previous round's file whole; a
 * missing file means a fresh run.
 */
export function fileCheckpoint(path: string): CheckpointStore {
  return {
    async load() {
      try {
        return new Uint8Array(await readFile(path));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    save: (bytes) => writeFileAtomic(path, bytes),
  };
}
