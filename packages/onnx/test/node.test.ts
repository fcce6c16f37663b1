import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, nn, type Tensor } from '@lowrank/core';
import { afterAll, describe, expect, it } from 'vitest';
import { exportOnnxFile, importOnnxFile } from '../src/node.js';
import { MODELS, maxAbsDiff, randomValues, runModule } from './helpers.js';

const dir = await mkdtemp(join(tmpdir(), 'lowrank-onnx-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

class NoExport extends nn.Module {
  get typeName() {
    return 'NoExport';
  }
  config() {
    return {};
  }
  forward(x: Tensor) {
    return x.relu();
  }
}

describe('@lowrank/onnx/node', () => {
  it('importOnnxFile reads a file; exportOnnxFile writes one that imports to the same outputs (within 1e-6)', async () => {
    const engine = createEngine({ backend: 'cpu', seed: 0 });
    const graph = await importOnnxFile(engine, `${MODELS}fmnist-lenet5.onnx`);
    const path = join(dir, 'lenet.onnx');
    await exportOnnxFile(graph, path, { inputShape: [1, 28, 28] });
    const again = await importOnnxFile(engine, path);
    const x = randomValues(2 * 784, 9);
    const a = await runModule(engine, graph, x, [2, 1, 28, 28]);
    const b = await runModule(engine, again, x, [2, 1, 28, 28]);
    expect(maxAbsDiff(a.data, b.data)).toBeLessThan(1e-6);
  });

  it('a failed export writes nothing: no new file, an existing file unchanged, no temporary left', async () => {
    const engine = createEngine({ backend: 'cpu', seed: 0 });
    const model = new nn.Sequential(engine, [new nn.Linear(engine, 4, 4), new NoExport(engine)]);
    const fresh = join(dir, 'fresh.onnx');
    await expect(exportOnnxFile(model, fresh, { inputShape: [4] })).rejects.toThrow(
      /'1' \(NoExport\) has no ONNX export/,
    );
    const existing = join(dir, 'existing.onnx');
    await writeFile(existing, 'old contents');
    await expect(exportOnnxFile(model, existing, { inputShape: [4] })).rejects.toThrow(/NoExport/);
    expect(await readFile(existing, 'utf8')).toBe('old contents');
    const files = await readdir(dir);
    expect(files).not.toContain('fresh.onnx');
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a missing file is an error naming it', async () => {
    const engine = createEngine({ backend: 'cpu', seed: 0 });
    await expect(importOnnxFile(engine, join(dir, 'absent.onnx'))).rejects.toThrow(/absent\.onnx/);
  });
});
