/**
 * @lowrank/compress: the whole-model compression pipeline of lowrank. `compress(engine,
 * model, recipe)` selects a model's conv and linear layers, calibrates them, selects
 * ranks, decomposes each layer with the registered plugins, swaps the factorized layers
 * in, optionally fine-tunes with distillation, and reports per layer and in total. Each
 * step is exported on its own.
 */
export {
  type CalibrationData,
  type CalibrationOptions,
  type CalibrationResult,
  calibrateLayers,
} from './calibrate-layers.js';
export { type CompressRecipe, type CompressResult, compress } from './compress.js';
export {
  type DecomposableLayer,
  type DecomposedLayer,
  type DecomposeLayersOptions,
  decomposeLayers,
} from './decompose-layers.js';
export { Distillation, type DistillationTerms, type DistilledLayer } from './distillation.js';
export { effectiveWeight } from './effective-weight.js';
export { type Evaluation, evaluate, type LabelledData } from './evaluate.js';
export {
  type FineTuneEpoch,
  type FineTuneOptions,
  type FineTuneResult,
  fineTune,
  type TrainingData,
} from './fine-tune.js';
export { formatReport } from './format-report.js';
export { layerwiseDecomposition } from './layerwise-decomposition.js';
export type { OnProgress, ProgressEvent, Step } from './progress.js';
export { replaceLayers } from './replace-layers.js';
export type { CompressionReport, CostTotals, LayerReport } from './report.js';
export {
  type DecompositionRecipe,
  type LayerPattern,
  type LayerSelectionOptions,
  type LayerSelectionResult,
  type SkippedLayer,
  selectLayers,
  type TargetLayer,
} from './select-layers.js';
export {
  type BudgetRecipe,
  type RankLayer,
  type RankRecipe,
  type SelectRanksOptions,
  selectRanks,
} from './select-ranks.js';
