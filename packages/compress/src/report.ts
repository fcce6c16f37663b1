import type { Cost, LayerInfo } from '@lowrank/core';
import type { FineTuneResult } from './fine-tune.js';
import type { SkippedLayer } from './select-layers.js';

/** One compressed layer (or one the rank selection kept dense). */
export interface LayerReport {
  name: string;
  kind: LayerInfo['kind'];
  /** The dense weight's shape. */
  shape: number[];
  /** The decomposition that replaced the layer; null when the rank selection kept it dense. */
  decomposition: string | null;
  /** The ranks selected (a decomposition may build fewer, as TR-SVD clips to the weight's unfoldings). */
  ranks: number[];
  /** Why these ranks (the selector's reason, or 'explicit ranks'). */
  reason: string;
  /** Params and MACs per sample of the dense layer and of what replaced it (measured on the module built). */
  before: Cost;
  after: Cost;
  /**
   * Relative weight errors: Frobenius `‖W - What‖_F/‖W‖_F`, and Sigma `‖(W - What) L‖/‖W L‖`
   * when calibration data was given and a 'sigma' norm plugin is registered.
   */
  error: { frobenius: number; sigma?: number };
  /** Seconds spent decomposing and building the layer. */
  seconds: number;
}

/** Costs before and after, with `ratio` = params before / after and `flopsReduction` = MACs before / after. */
export interface CostTotals {
  before: Cost;
  after: Cost;
  ratio: number;
  flopsReduction: number;
}

export interface CompressionReport {
  layers: LayerReport[];
  /** Conv and linear layers left dense by the layer selection, with the reason. */
  skipped: SkippedLayer[];
  /** The norm the decompositions minimised ('frobenius' without a norm plugin). */
  norm: string;
  /** How the ranks were chosen, e.g. 'rank-budget (ratio 3, model)' or 'explicit'. */
  rankSelection: string;
  total: {
    /** The whole model: params as counted by `numParameters()`, MACs of its conv and linear layers. */
    model: CostTotals;
    /** The selected layers only. */
    layers: CostTotals;
  };
  /** When an evaluation was given: before compression, after, and after fine-tuning. */
  accuracy?: { before: number; after: number; fineTuned?: number };
  fineTune?: FineTuneResult;
  calibrationBatches: number;
  /** What makes the result less trustworthy, each naming its layer and the fix (the norm's `diagnose`: too little calibration data). */
  warnings: string[];
  seconds: number;
}

export function sumCosts(costs: readonly Cost[]): Cost {
  return costs.reduce((a, c) => ({ params: a.params + c.params, flops: a.flops + c.flops }), {
    params: 0,
    flops: 0,
  });
}

export function costTotals(before: Cost, after: Cost): CostTotals {
  return { before, after, ratio: before.params / after.params, flopsReduction: before.flops / after.flops };
}
