import {
  type Budget,
  createEngine,
  type DecompositionPlugin,
  fitsBudget,
  type LayerInfo,
  layerSelection,
  type SelectionContext,
} from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import { cp } from '@lowrank/cp';
import { svd } from '@lowrank/svd';
import { tucker2 } from '@lowrank/tucker2';
import * as fc from 'fast-check';

export const engine = createEngine();
export const decompositions: Record<string, DecompositionPlugin> = {
  svd: svd() as DecompositionPlugin,
  tucker2: tucker2() as DecompositionPlugin,
  cp: cp() as DecompositionPlugin,
};

const channels = fc.integer({ min: 1, max: 16 });
const small = (max: number) => fc.integer({ min: 1, max });
const layerInfos: fc.Arbitrary<Omit<LayerInfo, 'name'>> = fc.oneof(
  fc
    .record({ o: channels, i: channels, bias: fc.boolean() })
    .map(({ o, i, bias }) => linearLayer('x', o, i, bias)),
  fc
    .record({
      o: channels,
      i: channels,
      kernel: fc.tuple(small(3), small(3)),
      stride: fc.tuple(small(2), small(2)),
      padding: fc.tuple(fc.nat(1), fc.nat(1), fc.nat(1), fc.nat(1)),
      inputSize: fc.tuple(fc.integer({ min: 5, max: 9 }), fc.integer({ min: 5, max: 9 })),
      bias: fc.boolean(),
    })
    .map(({ o, i, kernel, ...extra }) => convLayer('x', o, i, kernel, extra)),
);

/** 1-4 named layers with zero weights (the budget selector reads only their geometry). */
export const layerLists = fc.array(layerInfos, { minLength: 1, maxLength: 4 }).map((infos) =>
  infos.map((info, k) => ({
    info: { ...info, name: `layer${k}` },
    weight: engine.zeros(info.weightShape),
  })),
);

export const budgets: fc.Arbitrary<Budget> = fc.oneof(
  fc.record({ kind: fc.constant('ratio' as const), value: fc.double({ min: 1, max: 8, noNaN: true }) }),
  fc.record({
    kind: fc.constant('flops-reduction' as const),
    value: fc.double({ min: 1, max: 6, noNaN: true }),
  }),
  fc.record({ kind: fc.constant('params' as const), value: fc.integer({ min: 1, max: 3000 }) }),
  fc.record({
    kind: fc.constant('ratio' as const),
    value: fc.double({ min: 1, max: 3, noNaN: true }),
    scope: fc.constant('model' as const),
    rest: fc.record({ params: fc.nat(500), flops: fc.nat(5000) }),
  }),
);

export function context(decomposition: string, layers: SelectionContext['layers']): SelectionContext {
  return { engine, decomposition: decompositions[decomposition], layers };
}

/** Whether ranks `max(floor, floor(num/den * max))` meet the budget: an oracle independent of the selector. */
export function fitsAt(
  ctx: SelectionContext,
  floors: number[][],
  num: number,
  den: number,
  budget: Budget,
): boolean {
  const entries = ctx.layers.map(({ info }, j) => {
    const spec = ctx.decomposition.rankSpec(info);
    const ranks = spec.max.map((max, k) => Math.max(floors[j][k], Math.floor((num * max) / den)));
    return layerSelection(ctx.decomposition, info, ranks, '');
  });
  const sum = (key: 'cost' | 'dense', c: 'params' | 'flops') => entries.reduce((a, e) => a + e[key][c], 0);
  return fitsBudget(
    budget,
    { params: sum('dense', 'params'), flops: sum('dense', 'flops') },
    { params: sum('cost', 'params'), flops: sum('cost', 'flops') },
  );
}
