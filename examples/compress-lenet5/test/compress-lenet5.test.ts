import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo.js';
import { REFERENCE_WEIGHTS } from '../src/reference-model.js';

describe('compress-lenet5', () => {
  it('compresses the reference LeNet-5 more than 2x losing under 5 points, and the saved model reloads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'compress-lenet5-'));
    try {
      const out = join(dir, 'model.safetensors');
      const { report, source, reloadedAccuracy } = await runDemo({
        ratio: 3,
        fineTuneEpochs: 0,
        lambda: 0,
        lr: 0.003,
        weights: REFERENCE_WEIGHTS,
        out,
        seed: 0,
      });
      expect(source).toBe(REFERENCE_WEIGHTS);
      expect(report.total.model.ratio).toBeGreaterThan(2);
      const { before, after } = report.accuracy!;
      expect(before).toBeGreaterThan(0.85);
      expect(before - after).toBeLessThan(0.05);
      expect(reloadedAccuracy).toBe(after);
      expect(report.layers.map((l) => `${l.name}:${l.decomposition}`)).toEqual([
        'conv2:tucker2',
        'fc1:svd',
        'fc2:svd',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
