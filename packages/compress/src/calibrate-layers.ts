import {
  type CalibrationBatch,
  type CalibrationLayer,
  type Collector,
  calibrate,
  type NormPlugin,
  type nn,
  type RankSelectorPlugin,
} from '@lowrank/core';
import { isDecomposable, type TargetLayer } from './select-layers.js';

/** Calibration batches: any (async) iterable of inputs with optional labels. */
export type CalibrationData = Iterable<CalibrationBatch> | AsyncIterable<CalibrationBatch>;

export interface CalibrationOptions {
  data: CalibrationData;
  /** The norm whose statistics the decomposition minimises in (absent: Frobenius, nothing to collect). */
  norm?: NormPlugin;
  /** The rank selector; its collector runs when it has one. */
  selector?: RankSelectorPlugin;
  /** A norm collected only to report errors in it (the Sigma error when another norm is minimised). */
  reportNorm?: NormPlugin;
  onBatch?: (done: number) => void;
}

/** What one calibration pass gathered, by layer name. */
export interface CalibrationResult {
  batches: number;
  /** Spatial input size [H, W] of every Conv2d layer of the model (compressed or not). */
  inputSizes: Map<string, [number, number]>;
  normStats?: Map<string, unknown>;
  selectorStats?: Map<string, unknown>;
  reportNormStats?: Map<string, unknown>;
}

/**
 * The calibration step: one pass over the data with every collector attached at once
 * (the norm's, the selector's, the report norm's, and one that records each conv
 * layer's input size for FLOP counts), through core's `calibrate`.
 */
export async function calibrateLayers(
  model: nn.Module,
  layers: readonly TargetLayer[],
  options: CalibrationOptions,
): Promise<CalibrationResult> {
  const targets: CalibrationLayer[] = layers.map(({ info, module }) => ({ info, module }));
  const sizes = inputSizeCollector(model);
  const norm = options.norm?.collector(targets);
  const selector = options.selector?.collector?.(targets);
  const reportNorm = options.reportNorm?.collector(targets);
  const collectors = [sizes, norm, selector, reportNorm].filter((c): c is Collector => c !== undefined);
  const batches = await calibrate(model, collectors, options.data, { onBatch: options.onBatch });
  return {
    batches,
    inputSizes: sizes.statistics() as Map<string, [number, number]>,
    normStats: norm?.statistics(),
    selectorStats: selector?.statistics(),
    reportNormStats: reportNorm?.statistics(),
  };
}

/** Records the spatial size of the input of every Conv2d layer (the last one seen). */
function inputSizeCollector(model: nn.Module): Collector {
  const sizes = new Map<string, [number, number]>();
  const removers: (() => void)[] = [];
  const detach = () => {
    for (const remove of removers.splice(0)) remove();
  };
  return {
    attach() {
      detach();
      for (const [name, module] of model.namedModules()) {
        if (!isDecomposable(module) || name === '') continue;
        removers.push(
          module.addForwardHook((_m, inputs) => {
            const shape = inputs[0].shape;
            if (shape.length === 4) sizes.set(name, [shape[2], shape[3]]);
          }),
        );
      }
    },
    detach,
    statistics: () => new Map(sizes),
  };
}
