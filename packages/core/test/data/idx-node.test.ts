import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataFormatError, writeIdx } from '../../src/data/idx.js';
import { readIdxFile } from '../../src/data/idx-node.js';

describe('readIdxFile', () => {
  let dir: string;
  const data = new Uint8Array(Array.from({ length: 24 }, (_, i) => i * 10));
  const bytes = writeIdx([2, 3, 4], data);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lowrank-idx-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads plain and gzip files alike, whatever their names say', async () => {
    await writeFile(join(dir, 'plain.idx'), bytes);
    await writeFile(join(dir, 'compressed'), gzipSync(bytes));
    for (const path of [join(dir, 'plain.idx'), pathToFileURL(join(dir, 'compressed'))]) {
      const t = await readIdxFile(path);
      expect(t.shape).toEqual([2, 3, 4]);
      expect(t.data).toEqual(data);
    }
  });

  it('names the file in format errors', async () => {
    const truncated = join(dir, 'truncated.idx.gz');
    await writeFile(truncated, gzipSync(bytes.subarray(0, bytes.length - 2)));
    await expect(readIdxFile(truncated)).rejects.toThrow(DataFormatError);
    await expect(readIdxFile(truncated)).rejects.toThrow(`${truncated}: truncated data`);

    const corrupt = join(dir, 'corrupt.gz');
    await writeFile(corrupt, gzipSync(bytes).subarray(0, 20));
    await expect(readIdxFile(corrupt)).rejects.toThrow(`${corrupt}: corrupt gzip stream`);
  });

  it('passes on the file system error for a missing file', async () => {
    await expect(readIdxFile(join(dir, 'missing.gz'))).rejects.toThrow(/ENOENT/);
  });
});
