import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { DataFormatError, type IdxTensor, parseIdx } from './idx.js';

const gunzipAsync = promisify(gunzip);

/**
 * Reads an IDX file from disk, gzip-compressed (detected by its magic
 * `1f 8b`, whatever the file is called) or plain. Node only.
 * @throws the file system's error when the file cannot be read, and
 *   DataFormatError naming the file when its contents are malformed.
 */
export async function readIdxFile(path: string | URL): Promise<IdxTensor> {
  const name = path instanceof URL ? fileURLToPath(path) : path;
  let bytes: Uint8Array = await readFile(path);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (error) {
      throw new DataFormatError(`${name}: corrupt gzip stream: ${(error as Error).message}`);
    }
  }
  return parseIdx(bytes, name);
}
