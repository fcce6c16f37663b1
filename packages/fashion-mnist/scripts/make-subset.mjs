#!/usr/bin/env node
// Regenerates data/: the first 6,000 training and the first 1,000 test samples of
// Fashion-MNIST as gzip IDX files, cut from Debian's dataset-fashion-mnist.
//
//   node scripts/make-subset.mjs [source directory, default /usr/share/datasets/fashion-mnist]
//
// The output depends only on the source files and zlib (level 9, no timestamp in the
// gzip header), so running it again gives the same bytes with the same zlib.
// Self-contained on purpose: it must run before anything in the workspace is built.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';

const source = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const outDir = new URL('../data/', import.meta.url);
const counts = { train: 6000, t10k: 1000 };

/** The first `n` items of an uncompressed u8 IDX file: the header with dimension 0 set to `n`, then their bytes. */
function firstItems(bytes, n, name) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) throw new Error(`${name}: not a u8 IDX file`);
  const ndim = bytes[3];
  const dims = Array.from({ length: ndim }, (_, d) => view.getUint32(4 + 4 * d));
  if (dims[0] < n) throw new Error(`${name}: has ${dims[0]} items, fewer than ${n}`);
  const headerBytes = 4 + 4 * ndim;
  const itemBytes = dims.slice(1).reduce((a, b) => a * b, 1);
  const out = new Uint8Array(bytes.subarray(0, headerBytes + n * itemBytes)); // a copy (Buffer#slice is a view)
  new DataView(out.buffer).setUint32(4, n);
  return out;
}

for (const [split, n] of Object.entries(counts)) {
  for (const kind of ['images-idx3', 'labels-idx1']) {
    const file = `${split}-${kind}-ubyte.gz`;
    const subset = firstItems(gunzipSync(readFileSync(`${source}/${file}`)), n, file);
    const gz = gzipSync(subset, { level: 9 });
    writeFileSync(new URL(file, outDir), gz);
    const sha = createHash('sha256').update(gz).digest('hex');
    console.log(`${file}: ${n} items, ${gz.length} bytes, sha256 ${sha}`);
    if (kind === 'labels-idx1') {
      const perClass = new Array(10).fill(0);
      for (const label of subset.subarray(8)) perClass[label]++;
      console.log(`  per class: ${perClass.join(' ')}`);
    }
  }
}
