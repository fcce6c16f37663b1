import {
  type Budget,
  createEngine,
  type DecompositionPlugin,
  type LayerInfo,
  type SelectionContext,
} from '@lowrank/core';
import { convLayer, linearLayer } from '@lowrank/core/testing';
import { svd } from '@lowrank/svd';
import { tucker2 } from '@lowrank/tucker2';
import * as fc from 'fast-check';
import { LwiqStatistics, type LwiqStatisticsJson } from '../src/index.js';

export const engine = createEngine();
export const decompositions: Record<string, DecompositionPlugin> = {
  svd: svd() as DecompositionPlugin,
  tucker2: tucker2() as DecompositionPlugin,
};

const channels = fc.integer({ min: 1, max: 24 });
const small = (max: number) => fc.integer({ min: 1, max });
const layerInfos: fc.Arbitrary<Omit<LayerInfo, 'name'>> = fc.oneof(
  fc.record({ o: channels, i: channels }).map(({ o, i }) => linearLayer('x', o, i, false)),
  fc
    .record({
      o: channels,
      i: channels,
      kernel: fc.tuple(small(3), small(3)),
      stride: fc.tuple(small(2), small(2)),
      inputSize: fc.tuple(fc.integer({ min: 5, max: 9 }), fc.integer({ min: 5, max: 9 })),
    })
    .map(({ o, i, kernel, ...extra }) => convLayer('x', o, i, kernel, extra)),
);

/** Saved statistics with two imprinted classes and 1,000 evaluated samples. */
function savedStatistics(layer: string, correct: number): LwiqStatisticsJson {
  return {
    format: 'lowrank-lwiq-statistics',
    version: 1,
    layer,
    channels: 1,
    imprintSamples: 2,
    imprinted: 2,
    classes: [
      { label: 0, count: 1, sum: [1] },
      { label: 1, count: 1, sum: [-1] },
    ],
    evaluated: 1000,
    correct,
  };
}

/**
 * Saved statistics whose proxy accuracy is `correct / 1000`, and with `inputCorrect` that
 * of the layer's input `inputCorrect / 1000` (without it, no input statistics, as saved
 * before they were collected).
 */
export function statisticsWithAccuracy(
  layer: string,
  correct: number,
  inputCorrect?: number,
): LwiqStatistics {
  return LwiqStatistics.fromJSON({
    ...savedStatistics(layer, correct),
    ...(inputCorrect === undefined ? {} : { input: savedStatistics(`input of ${layer}`, inputCorrect) }),
  });
}

/** 1-5 named layers (zero weights: selection reads only geometry) with proxy accuracies of output and input. */
export const scoredLayers = fc
  .array(
    fc.record({
      info: layerInfos,
      correct: fc.integer({ min: 0, max: 1000 }),
      inputCorrect: fc.integer({ min: 0, max: 1000 }),
    }),
    {
      minLength: 1,
      maxLength: 5,
    },
  )
  .map((entries) =>
    entries.map(({ info, correct, inputCorrect }, k) => ({
      info: { ...info, name: `layer${k}` },
      weight: engine.zeros(info.weightShape),
      correct,
      inputCorrect,
    })),
  );

export function context(
  decomposition: string,
  layers: {
    info: LayerInfo;
    weight: SelectionContext['layers'][number]['weight'];
    correct: number;
    inputCorrect?: number;
  }[],
): SelectionContext {
  return {
    engine,
    decomposition: decompositions[decomposition],
    layers: layers.map(({ info, weight }) => ({ info, weight })),
    stats: new Map(
      layers.map(({ info, correct, inputCorrect }) => [
        info.name,
        statisticsWithAccuracy(info.name, correct, inputCorrect),
      ]),
    ),
  };
}

/** Values spread evenly over [min, max] / 100 (fast-check's doubles crowd at the ends and near 0). */
export const hundredths = (min: number, max: number) => fc.integer({ min, max }).map((n) => n / 100);

export const budgets: fc.Arbitrary<Budget> = fc.oneof(
  fc.record({ kind: fc.constant('ratio' as const), value: hundredths(100, 800) }),
  fc.record({
    kind: fc.constant('flops-reduction' as const),
    value: hundredths(100, 600),
  }),
  fc.record({ kind: fc.constant('params' as const), value: fc.integer({ min: 1, max: 4000 }) }),
  fc.record({
    kind: fc.constant('ratio' as const),
    value: hundredths(100, 300),
    scope: fc.constant('model' as const),
    rest: fc.record({ params: fc.nat(500), flops: fc.nat(5000) }),
  }),
);
