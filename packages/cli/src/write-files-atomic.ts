import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Writes several files so that none is half-written and, short of a rename failing
 * midway, either all or none appear: every file goes to a sibling temporary first,
 * and only when all are written are they renamed over their targets.
 */
export async function writeFilesAtomic(files: readonly { path: string; data: Uint8Array }[]): Promise<void> {
  const suffix = `.${randomBytes(6).toString('hex')}.tmp`;
  const pending = new Set<string>();
  try {
    for (const { path, data } of files) {
      pending.add(path);
      await writeFile(path + suffix, data);
    }
    for (const { path } of files) {
      await rename(path + suffix, path);
      pending.delete(path);
    }
  } finally {
    await Promise.all([...pending].map((path) => rm(path + suffix, { force: true })));
  }
}
