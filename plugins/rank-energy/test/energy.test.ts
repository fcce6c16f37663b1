import {
  createEngine,
  type DecompositionPlugin,
  linalg,
  rankUnfoldings,
  SeededRandom,
  type SelectionContext,
} from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import { cp } from '@lowrank/cp';
import { svd } from '@lowrank/svd';
import { tucker2 } from '@lowrank/tucker2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { energyRank, rankEnergy } from '../src/index.js';

const engine = createEngine();
const decompositions: Record<string, DecompositionPlugin> = {
  svd: svd() as DecompositionPlugin,
  tucker2: tucker2() as DecompositionPlugin,
  cp: cp() as DecompositionPlugin,
};
const channels = fc.integer({ min: 1, max: 12 });
const layers = fc.oneof(
  fc.record({ o: channels, i: channels }).map(({ o, i }) => linearLayer('fc', o, i)),
  fc
    .record({
      o: channels,
      i: channels,
      kh: fc.integer({ min: 1, max: 3 }),
      kw: fc.integer({ min: 1, max: 3 }),
    })
    .map(({ o, i, kh, kw }) => convLayer('conv', o, i, [kh, kw], { inputSize: [7, 7] })),
);
const cases = fc.record({
  info: layers,
  name: fc.constantFrom('svd', 'tucker2', 'cp'),
  fraction: fc.double({ min: 0.05, max: 1, noNaN: true }),
  seed: fc.nat(1000),
});

function kept(s: Float64Array, r: number): number {
  let [part, total] = [0, 0];
  s.forEach((v, i) => {
    total += v * v;
    if (i < r) part += v * v;
  });
  return part / total;
}

describe('rank-energy', () => {
  it('energyRank is the smallest rank keeping the fraction of squared singular values (tolerance 1e-12 relative)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 10, noNaN: true }), { minLength: 1, maxLength: 30 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        (values, fraction) => {
          const s = Float64Array.from(values.sort((a, b) => b - a));
          const r = energyRank(s, fraction);
          expect(kept(s, r)).toBeGreaterThanOrEqual(fraction - 1e-12);
          if (r > 1) expect(kept(s, r - 1)).toBeLessThan(fraction);
        },
      ),
      { seed: 5 },
    );
  });

  it('each rank meets its energy fraction on its unfolding (tolerance 1e-12) unless bounded by the spec, and stays within the bounds', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async ({ info, name, fraction, seed }) => {
        const weight = engine.randn(info.weightShape, { dtype: 'float64', seed });
        const decomposition = decompositions[name];
        const ctx: SelectionContext = { engine, decomposition, layers: [{ info, weight }] };
        const [entry] = (await rankEnergy({ fraction }).select(ctx)).layers;
        const spec = decomposition.rankSpec(info);
        const unfoldings = rankUnfoldings(await linalg.toNdArray(weight), spec);
        entry.ranks.forEach((r, k) => {
          expect(r).toBeGreaterThanOrEqual(spec.min[k]);
          expect(r).toBeLessThanOrEqual(spec.max[k]);
          const s = linalg.svd(unfoldings[k].matrix).s;
          if (r < spec.max[k]) expect(kept(s, r)).toBeGreaterThanOrEqual(fraction - 1e-12);
          if (r > spec.min[k]) expect(kept(s, r - 1)).toBeLessThan(fraction);
        });
        expect(entry.reason).toMatch(new RegExp(`energy ${fraction}`));
        expect(entry.cost).toEqual(entry.keptDense ? entry.dense : decomposition.cost(info, entry.ranks));
      }),
      { numRuns: 60, seed: 9 },
    );
  });

  it('uses unfold(W,0) for R1 and unfold(W,1) for R2 of Tucker2: a weight of multilinear rank (2, 3) gets [2, 3] at fraction 1 - 1e-9', async () => {
    const [o, i, k] = [8, 7, 3];
    const rng = new SeededRandom(4);
    const gaussian = (n: number) => Array.from({ length: n }, () => rng.normal());
    const core = linalg.ndarray([2, 3, k, k], gaussian(2 * 3 * k * k));
    const u = linalg.matrix(o, 2, gaussian(o * 2));
    const v = linalg.matrix(i, 3, gaussian(i * 3));
    const w = linalg.multiModeProduct(core, [u, v]);
    const info = convLayer('conv', o, i, [k, k], { inputSize: [8, 8] });
    const ctx: SelectionContext = {
      engine,
      decomposition: decompositions.tucker2,
      layers: [{ info, weight: linalg.fromNdArray(engine, w, 'float64') }],
    };
    const selection = await rankEnergy({ fraction: 1 - 1e-9 }).select(ctx);
    expect(selection.layers[0].ranks).toEqual([2, 3]);
    expect(selection.layers[0].reason).toMatch(
      /R1 \(out\): energy .* of unfold\(W,0\) needs 2; R2 \(in\): energy .* of unfold\(W,1\) needs 3/,
    );
  });

  it('is deterministic: two selections on the same weights are deep-equal (exact)', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async ({ info, name, fraction, seed }) => {
        const weight = engine.randn(info.weightShape, { seed });
        const ctx: SelectionContext = {
          engine,
          decomposition: decompositions[name],
          layers: [{ info, weight }],
        };
        const selector = rankEnergy({ fraction });
        expect(await selector.select(ctx)).toEqual(await selector.select(ctx));
      }),
      { numRuns: 20, seed: 13 },
    );
  });

  it('refuses a fraction outside (0, 1] and NaN weights naming the layer', async () => {
    expect(() => rankEnergy({ fraction: 0 })).toThrow(/fraction must be in \(0, 1\], got 0/);
    expect(() => rankEnergy({ fraction: 1.5 })).toThrow(/fraction must be in/);
    const info = linearLayer('fc1', 3, 4);
    const nan = engine.fromData(new Float32Array(12).fill(Number.NaN), [3, 4]);
    const ctx: SelectionContext = {
      engine,
      decomposition: decompositions.svd,
      layers: [{ info, weight: nan }],
    };
    await expect(rankEnergy().select(ctx)).rejects.toThrow(/layer 'fc1' has NaN or Inf weights/);
    await expect(rankEnergy().select(ctx, { kind: 'ratio', value: 2 })).rejects.toThrow(
      /layer 'fc1' has NaN or Inf weights/,
    );
  });
});
