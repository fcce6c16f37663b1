import {
  type Budget,
  createEngine,
  type DecompositionPlugin,
  decomposeWithMetric,
  factorTensors,
  type LayerInfo,
  type Metric,
  type RankSelection,
  relativeError,
  SeededRandom,
  type SelectionContext,
  type Tensor,
} from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import { svd } from '@lowrank/svd';
import { tucker2 } from '@lowrank/tucker2';
import fc from 'fast-check';

export const engine = createEngine();
export const decompositions: Record<string, DecompositionPlugin> = {
  svd: svd() as DecompositionPlugin,
  tucker2: tucker2() as DecompositionPlugin,
};

const channels = fc.integer({ min: 1, max: 8 });
export const layerInfos = fc.oneof(
  fc.record({ o: channels, i: channels }).map(({ o, i }) => linearLayer('fc', o, i)),
  fc
    .record({ o: channels, i: channels, k: fc.integer({ min: 1, max: 3 }) })
    .map(({ o, i, k }) => convLayer('conv', o, i, [k, k], { inputSize: [6, 6] })),
);

/** 1-3 layers with seeded float64 Gaussian weights, under SVD or Tucker2. */
export const contexts = fc
  .record({
    infos: fc.array(layerInfos, { minLength: 1, maxLength: 3 }),
    name: fc.constantFrom('svd', 'tucker2'),
    seed: fc.nat(1000),
  })
  .map(({ infos, name, seed }) => contextOf(name, infos, seed));

export function contextOf(
  name: string,
  infos: readonly Omit<LayerInfo, 'name'>[],
  seed: number,
): SelectionContext {
  return {
    engine,
    decomposition: decompositions[name],
    layers: infos.map((info, j) => ({
      info: { ...info, name: `layer${j}` } as LayerInfo,
      weight: engine.randn(info.weightShape, { dtype: 'float64', seed: seed + j }),
    })),
  };
}

/** A whitened metric for a weight `[O, ...]`: a random lower-triangular `L` (P x P) with a positive diagonal. */
export function whitenedMetric(weightShape: readonly number[], seed: number): Metric {
  const p = weightShape.slice(1).reduce((a, b) => a * b, 1);
  const rng = new SeededRandom(seed);
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < i; j++) l[i * p + j] = 0.5 * rng.normal();
    l[i * p + i] = 0.5 + Math.abs(rng.normal());
  }
  return { kind: 'whitened', factor: engine.fromData(l, [p, p]) };
}

/** The relative error at `ranks`, measured with core directly (apart from the selector). */
export async function errorOf(
  decomposition: DecompositionPlugin,
  weight: Tensor,
  info: LayerInfo,
  ranks: readonly number[],
  metric: Metric = { kind: 'frobenius' },
): Promise<number> {
  const factors = await decomposeWithMetric(decomposition, weight, info, ranks, { metric, seed: 0 });
  const approx = decomposition.reconstruct(factors);
  const e = await relativeError(metric, weight, approx, info);
  for (const t of [approx, ...factorTensors(factors)]) t.dispose();
  return e;
}

export const budgets: fc.Arbitrary<Budget> = fc.oneof(
  fc.record({ kind: fc.constant('ratio' as const), value: fc.double({ min: 1, max: 5, noNaN: true }) }),
  fc.record({
    kind: fc.constant('flops-reduction' as const),
    value: fc.double({ min: 1, max: 4, noNaN: true }),
  }),
  fc.record({ kind: fc.constant('params' as const), value: fc.integer({ min: 1, max: 800 }) }),
  fc.record({
    kind: fc.constant('ratio' as const),
    value: fc.double({ min: 1, max: 3, noNaN: true }),
    scope: fc.constant('model' as const),
    rest: fc.record({ params: fc.nat(200), flops: fc.nat(2000) }),
  }),
);

/** Whether a selection's totals meet the budget: an oracle written apart from the selector. */
export function meets(budget: Budget, { total }: RankSelection): boolean {
  const rest = budget.scope === 'model' ? budget.rest : { params: 0, flops: 0 };
  const [before, after] = [total.before, total.after];
  if (budget.kind === 'params') return after.params + rest.params <= budget.value;
  if (budget.kind === 'ratio')
    return (after.params + rest.params) * budget.value <= before.params + rest.params;
  return (after.flops + rest.flops) * budget.value <= before.flops + rest.flops;
}

export const ranksOf = (s: RankSelection) => s.layers.map((l) => l.ranks);
