import { describe, expect, it } from 'vitest';
import {
  type DecompositionPlugin,
  denseCost,
  layerSelection,
  linalg,
  type RankSpec,
  rankSelection,
  rankUnfoldings,
} from '../src/index.js';
import { convLayer, linearLayer } from '../src/testing.js';

const spec = (count: number): RankSpec => ({
  labels: Array.from({ length: count }, (_, k) => `r${k}`),
  max: Array(count).fill(4),
  min: Array(count).fill(1),
});
const weight = linalg.ndarray(
  [3, 2, 2, 5],
  Array.from({ length: 60 }, (_, j) => Math.sin(j)),
);

describe('rankUnfoldings', () => {
  it('gives W_mat for one rank, unfold(W,0) and unfold(W,1) for two (exact data)', () => {
    const [one] = rankUnfoldings(weight, spec(1));
    expect(one.label).toBe('unfold(W,0)');
    expect(one.matrix).toEqual(linalg.unfold(weight, 0));
    const two = rankUnfoldings(weight, spec(2));
    expect(two.map((u) => u.label)).toEqual(['unfold(W,0)', 'unfold(W,1)']);
    expect(two[1].matrix).toEqual(linalg.unfold(weight, 1));
  });

  it('gives the sequential unfoldings for axes - 1 ranks (rows O, O*I, O*I*Kh, same data) and W_mat otherwise', () => {
    const three = rankUnfoldings(weight, spec(3));
    expect(three.map((u) => [u.matrix.rows, u.matrix.cols])).toEqual([
      [3, 20],
      [6, 10],
      [12, 5],
    ]);
    expect(three[1].label).toBe('W as (O*I) x (Kh*Kw)');
    expect(three[2].matrix.data).toBe(weight.data);
    const five = rankUnfoldings(weight, spec(5));
    expect(five.every((u) => u.matrix === five[0].matrix && u.label === 'unfold(W,0)')).toBe(true);
  });
});

describe('layerSelection', () => {
  const fake = (params: number): DecompositionPlugin =>
    ({ cost: () => ({ params, flops: 7 * params }) }) as unknown as DecompositionPlugin;
  const info = convLayer('conv', 4, 3, [3, 3], { inputSize: [6, 6] });

  it('keeps the factorized cost when smaller than the dense params, else the dense cost with keptDense and the reason (exact)', () => {
    const dense = denseCost(info);
    const small = layerSelection(fake(dense.params - 1), info, [2], 'rule');
    expect(small).toEqual({
      name: 'conv',
      ranks: [2],
      reason: 'rule',
      cost: { params: dense.params - 1, flops: 7 * (dense.params - 1) },
      dense,
      keptDense: false,
    });
    const large = layerSelection(fake(dense.params), info, [3], 'rule');
    expect(large.keptDense).toBe(true);
    expect(large.cost).toEqual(dense);
    expect(large.reason).toMatch(/^rule; kept dense: \d+ factorized params >= \d+ dense$/);
  });

  it('rankSelection totals the dense and selected costs of its layers (exact)', () => {
    const fc = linearLayer('fc', 5, 6);
    const layers = [layerSelection(fake(10), info, [1], 'a'), layerSelection(fake(1000), fc, [1], 'b')];
    const { total } = rankSelection(layers);
    const [d1, d2] = [denseCost(info), denseCost(fc)];
    expect(total.before).toEqual({ params: d1.params + d2.params, flops: d1.flops + d2.flops });
    expect(total.after).toEqual({ params: 10 + d2.params, flops: 70 + d2.flops });
  });
});
