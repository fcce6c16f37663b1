import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFilesAtomic } from '../src/write-files-atomic.js';
import { tempDir } from './helpers.js';

describe('writeFilesAtomic', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
  });
  afterEach(() => remove());

  it('writes every file with its bytes and leaves no temporary', async () => {
    await writeFilesAtomic([
      { path: join(dir, 'a.onnx'), data: new Uint8Array([1, 2, 3]) },
      { path: join(dir, 'b.html'), data: new TextEncoder().encode('<p>ok</p>') },
    ]);
    expect((await readdir(dir)).sort()).toEqual(['a.onnx', 'b.html']);
    expect([...(await readFile(join(dir, 'a.onnx')))]).toEqual([1, 2, 3]);
    expect(await readFile(join(dir, 'b.html'), 'utf8')).toBe('<p>ok</p>');
  });

  it('when one file cannot be written, none appears and no temporary is left', async () => {
    await expect(
      writeFilesAtomic([
        { path: join(dir, 'a.onnx'), data: new Uint8Array([1]) },
        { path: join(dir, 'no-such-dir', 'b.html'), data: new Uint8Array([2]) },
      ]),
    ).rejects.toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('when a rename fails (the target is a directory), the files not yet renamed leave no temporary', async () => {
    await mkdir(join(dir, 'b.html'));
    await expect(
      writeFilesAtomic([
        { path: join(dir, 'b.html'), data: new Uint8Array([2]) },
        { path: join(dir, 'c.onnx'), data: new Uint8Array([3]) },
      ]),
    ).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['b.html']);
  });
});
