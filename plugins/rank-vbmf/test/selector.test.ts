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
import { evbmfRank, rankVbmf } from '../src/index.js';

const engine = createEngine();
const decompositions: Record<string, DecompositionPlugin> = {
  svd: svd() as DecompositionPlugin,
  tucker2: tucker2() as DecompositionPlugin,
  cp: cp() as DecompositionPlugin,
};
const channels = fc.integer({ min: 1, max: 16 });
const cases = fc.record({
  info: fc.oneof(
    fc.record({ o: channels, i: channels }).map(({ o, i }) => linearLayer('fc', o, i)),
    fc
      .record({
        o: channels,
        i: channels,
        kh: fc.integer({ min: 1, max: 3 }),
        kw: fc.integer({ min: 1, max: 3 }),
      })
      .map(({ o, i, kh, kw }) => convLayer('conv', o, i, [kh, kw], { inputSize: [7, 7] })),
  ),
  name: fc.constantFrom('svd', 'tucker2', 'cp'),
  ratio: fc.double({ min: 0, max: 1, noNaN: true }),
  minRank: fc.integer({ min: 1, max: 3 }),
  seed: fc.nat(1000),
});

/** A weight of low rank in every unfolding plus small noise, so EVBMF finds something to keep. */
function weightOf(shape: readonly number[], seed: number) {
  const rng = new SeededRandom(seed);
  const [o, rest] = [shape[0], shape.slice(1).reduce((p, d) => p * d, 1)];
  const a = Array.from({ length: o * 2 }, () => rng.normal());
  const b = Array.from({ length: 2 * rest }, () => rng.normal());
  const data = new Float64Array(o * rest);
  for (let r = 0; r < o; r++) {
    for (let c = 0; c < rest; c++)
      data[r * rest + c] = a[2 * r] * b[c] + a[2 * r + 1] * b[rest + c] + 0.05 * rng.normal();
  }
  return engine.fromData(data, shape);
}

describe('rank-vbmf selector', () => {
  it('gives r = round((1 - a) r_max + a r_vbmf) per rank, raised to minRank and kept within the rank bounds (exact)', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async ({ info, name, ratio, minRank, seed }) => {
        const weight = weightOf(info.weightShape, seed);
        const decomposition = decompositions[name];
        const ctx: SelectionContext = { engine, decomposition, layers: [{ info, weight }] };
        const [entry] = (await rankVbmf({ ratio, minRank }).select(ctx)).layers;
        const spec = decomposition.rankSpec(info);
        const unfoldings = rankUnfoldings(await linalg.toNdArray(weight), spec);
        entry.ranks.forEach((r, k) => {
          const mixed = Math.round((1 - ratio) * spec.max[k] + ratio * evbmfRank(unfoldings[k].matrix));
          expect(r).toBe(Math.min(spec.max[k], Math.max(spec.min[k], minRank, mixed)));
        });
        expect(entry.reason).toMatch(/EVBMF rank \d+ of unfold\(W,0\)/);
        expect(entry.cost).toEqual(entry.keptDense ? entry.dense : decomposition.cost(info, entry.ranks));
      }),
      { numRuns: 60, seed: 31 },
    );
  });

  it('ratio 0 keeps every rank at its bound; ratio 1 on a multilinear-rank-(2, 3)-plus-noise conv weight gives Tucker2 ranks [2, 3] (exact)', async () => {
    const info = convLayer('conv', 12, 10, [3, 3], { inputSize: [8, 8] });
    const rng = new SeededRandom(5);
    const gaussian = (n: number) => Array.from({ length: n }, () => rng.normal());
    const w = linalg.multiModeProduct(linalg.ndarray([2, 3, 3, 3], gaussian(54)), [
      linalg.matrix(12, 2, gaussian(24)),
      linalg.matrix(10, 3, gaussian(30)),
    ]);
    for (let j = 0; j < w.data.length; j++) w.data[j] += 0.01 * rng.normal();
    const ctx: SelectionContext = {
      engine,
      decomposition: decompositions.tucker2,
      layers: [{ info, weight: linalg.fromNdArray(engine, w, 'float64') }],
    };
    const spec = decompositions.tucker2.rankSpec(info);
    expect((await rankVbmf({ ratio: 0 }).select(ctx)).layers[0].ranks).toEqual([...spec.max]);
    expect((await rankVbmf({ ratio: 1 }).select(ctx)).layers[0].ranks).toEqual([2, 3]);
  });

  it('is deterministic: two selections are deep-equal (exact)', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async ({ info, name, ratio, seed }) => {
        const ctx: SelectionContext = {
          engine,
          decomposition: decompositions[name],
          layers: [{ info, weight: weightOf(info.weightShape, seed) }],
        };
        expect(await rankVbmf({ ratio }).select(ctx)).toEqual(await rankVbmf({ ratio }).select(ctx));
      }),
      { numRuns: 20, seed: 32 },
    );
  });

  it('refuses a ratio outside [0, 1], a bad minRank, and NaN weights naming the layer', async () => {
    expect(() => rankVbmf({ ratio: -0.1 })).toThrow(/ratio must be in \[0, 1\], got -0.1/);
    expect(() => rankVbmf({ minRank: 0 })).toThrow(/minRank must be a positive integer, got 0/);
    const info = linearLayer('fc2', 3, 4);
    const nan = engine.fromData(new Float32Array(12).fill(Number.NaN), [3, 4]);
    const ctx: SelectionContext = {
      engine,
      decomposition: decompositions.svd,
      layers: [{ info, weight: nan }],
    };
    await expect(rankVbmf().select(ctx)).rejects.toThrow(/layer 'fc2' has NaN or Inf weights/);
    await expect(rankVbmf().select(ctx, { kind: 'params', value: 10 })).rejects.toThrow(
      /layer 'fc2' has NaN or Inf weights/,
    );
  });
});
