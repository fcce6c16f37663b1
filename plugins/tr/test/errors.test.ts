import { createEngine } from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import { describe, expect, it } from 'vitest';
import { tr } from '../src/index.js';

const engine = createEngine();
const plugin = tr();
const layer = convLayer('features.0', 8, 6, [3, 3]);
const weight = engine.randn([8, 6, 3, 3], { dtype: 'float64', seed: 1 });

describe('tr errors', () => {
  it('ranks out of range, non-integer or of the wrong count name the layer, the rank and the bound', async () => {
    // Ring (8, 9, 6) cut at K = 9: R1, R2 <= 3.
    expect(plugin.rankSpec(layer).max).toEqual([18, 3, 3]);
    await expect(plugin.decompose(weight, layer, [2, 4, 2])).rejects.toThrow(
      /R1 \(output-kernel\) = 4 of 'features.0'.*\[1, 3\]/,
    );
    await expect(plugin.decompose(weight, layer, [0, 2, 2])).rejects.toThrow(
      /R0 \(input-output\) = 0 of 'features.0'/,
    );
    await expect(plugin.decompose(weight, layer, [1.5, 2, 2])).rejects.toThrow(/= 1.5 of 'features.0'/);
    await expect(plugin.decompose(weight, layer, [2, 2])).rejects.toThrow(/'features.0' takes 3 rank/);
  });

  it('NaN weights, grouped convs and non-Frobenius metrics are refused naming the layer', async () => {
    const bad = engine.tensor(
      Float64Array.from({ length: 8 * 6 * 9 }, (_, i) => (i === 3 ? Number.POSITIVE_INFINITY : 1)),
      [8, 6, 3, 3],
      'float64',
    );
    await expect(plugin.decompose(bad, layer, [1, 1, 1])).rejects.toThrow(/'features.0'.*Infinity/);
    const grouped = convLayer('features.3', 4, 4, [3, 3], { groups: 2 });
    expect(plugin.supports(grouped).ok).toBe(false);
    await expect(
      plugin.decompose(engine.randn([4, 2, 3, 3], { dtype: 'float64' }), grouped, [1, 1, 1]),
    ).rejects.toThrow(/'features.3'.*groups = 2/);
    await expect(
      plugin.decompose(weight, layer, [1, 1, 1], { metric: { kind: 'whitened', factor: weight } }),
    ).rejects.toThrow(/'whitened' metric.*'features.0'/);
  });

  it('unknown algorithms and inits, and modes that do not factor the layer, are errors naming the layer', async () => {
    await expect(plugin.decompose(weight, layer, [1, 1, 1], { algorithm: 'cross' as 'svd' })).rejects.toThrow(
      /unknown algorithm 'cross' for 'features.0'/,
    );
    await expect(plugin.decompose(weight, layer, [1, 1, 1], { init: 'zeros' as 'svd' })).rejects.toThrow(
      /unknown init 'zeros' for 'features.0'/,
    );
    const bad = tr({ modes: () => ({ out: [3, 3], in: [2, 5] }) });
    await expect(
      bad.decompose(
        engine.randn([10, 10], { dtype: 'float64' }),
        linearLayer('classifier.1', 10, 10),
        [1, 1],
      ),
    ).rejects.toThrow(/'classifier.1'.*do not factor/);
  });
});
