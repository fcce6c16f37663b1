import { describe, expect, it } from 'vitest';
import { checkFrobenius, checkRanks, checkSupported, readWeight } from '../src/decomposition/checks.js';
import { createEngine } from '../src/engine.js';
import { convLayer } from '../src/testing.js';

const engine = createEngine();
const layer = convLayer('block.conv', 4, 3, [3, 1]);
const spec = { labels: ['R1', 'R2'], max: [3, 3], min: [1, 1] };

describe('decomposition input checks', () => {
  it('checkSupported throws the reason with the plugin and layer names', () => {
    expect(() => checkSupported('tt', layer, { ok: true })).not.toThrow();
    expect(() => checkSupported('tt', layer, { ok: false, reason: 'grouped' })).toThrow(
      "tt: cannot decompose 'block.conv': grouped",
    );
  });

  it('checkRanks names the rank, the layer and the bounds', () => {
    expect(() => checkRanks('tt', layer, [3, 1], spec)).not.toThrow();
    expect(() => checkRanks('tt', layer, [4, 1], spec)).toThrow(/R1 = 4 of 'block\.conv' .* \[1, 3\]/);
    expect(() => checkRanks('tt', layer, [1, 0.5], spec)).toThrow(/R2 = 0\.5/);
    expect(() => checkRanks('tt', layer, [1], spec)).toThrow(/takes 2 rank\(s\) \[R1, R2\], got \[1\]/);
  });

  it('checkFrobenius accepts Frobenius or none and points other metrics to the norm plugins', () => {
    expect(() => checkFrobenius('cp', layer, undefined)).not.toThrow();
    expect(() => checkFrobenius('cp', layer, { kind: 'frobenius' })).not.toThrow();
    const metric = { kind: 'weighted' as const, weights: engine.ones(layer.weightShape) };
    expect(() => checkFrobenius('cp', layer, metric)).toThrow(/'weighted' .* 'block\.conv' .* norm plugins/);
  });

  it('readWeight returns float64 values and refuses int32, a wrong shape and non-finite values', async () => {
    const w = await readWeight('cp', layer, engine.ones(layer.weightShape));
    expect(w.shape).toEqual([4, 3, 3, 1]);
    expect(w.data).toBeInstanceOf(Float64Array);
    await expect(readWeight('cp', layer, engine.ones(layer.weightShape, 'int32'))).rejects.toThrow(
      /'block\.conv' is int32/,
    );
    await expect(readWeight('cp', layer, engine.ones([4, 3, 1, 3]))).rejects.toThrow(
      /'block\.conv' is \[4, 3, 1, 3\]/,
    );
    const data = new Float32Array(36);
    data[4] = Number.NaN;
    await expect(readWeight('cp', layer, engine.fromData(data, layer.weightShape))).rejects.toThrow(
      /NaN at flat index 4/,
    );
  });
});
