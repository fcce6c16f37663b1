import {
  type Cost,
  denseCost,
  type Engine,
  factorTensors,
  type LayerInfo,
  layerInfo,
  type Metric,
  measuredCost,
  mul,
  type NormPlugin,
  nn,
  normNeedsCalibration,
  type RankSelection,
  type RankSelectorPlugin,
  type Tensor,
} from '@lowrank/core';
import { type CalibrationData, type CalibrationResult, calibrateLayers } from './calibrate-layers.js';
import { type DecomposedLayer, type DecomposeLayersOptions, decomposeLayers } from './decompose-layers.js';
import type { DistilledLayer } from './distillation.js';
import { type Evaluation, evaluate } from './evaluate.js';
import { type FineTuneOptions, fineTune } from './fine-tune.js';
import { type OnProgress, runStep, type Step } from './progress.js';
import { replaceLayers } from './replace-layers.js';
import { type CompressionReport, costTotals, type LayerReport, sumCosts } from './report.js';
import {
  isDecomposable,
  type LayerSelectionOptions,
  selectLayers,
  type TargetLayer,
} from './select-layers.js';
import { type RankLayer, type RankRecipe, selectRanks } from './select-ranks.js';

/** The name of the built-in default norm, the plain weight error (no plugin needed). */
const FROBENIUS_NORM = 'frobenius';

export interface CompressRecipe extends LayerSelectionOptions {
  /**
   * The norm the decompositions minimise: a registered norm plugin's name, or 'frobenius'
   * (default; built in, so it needs no plugin). A norm needs calibration data unless its
   * plugin says `needsCalibration: false`.
   */
  norm?: string;
  ranks: RankRecipe;
  /** Calibration batches (needed by a norm such as 'sigma' and by selectors that collect). */
  calibration?: CalibrationData;
  /**
   * One sample's shape (e.g. [1, 28, 28]), for the conv layers' input sizes (FLOP counts)
   * when no calibration data is given.
   */
  inputShape?: readonly number[];
  /** Accuracy before and after (and after fine-tuning): labelled batches or a function. */
  evaluation?: Evaluation;
  /** Fine-tune the compressed model (cross-entropy plus distillation); its evaluation defaults to the recipe's. */
  fineTune?: Omit<FineTuneOptions, 'onProgress' | 'seed'>;
  /** Seed of the decompositions' randomized and iterative algorithms and of fine-tuning. */
  seed?: number;
  /** Extra settings for every `decompose` call (e.g. `{ maxIterations: 20 }`). */
  decomposeSettings?: DecomposeLayersOptions['settings'];
  onProgress?: OnProgress;
}

export interface CompressResult {
  /** The same model object, now with factorized layers. */
  model: nn.Module;
  report: CompressionReport;
}

/**
 * Compresses `model` in place: selects its conv and linear layers, calibrates them on
 * the recipe's data (one pass for every collector), selects ranks, decomposes each
 * layer in the norm's metric, swaps the factorized layers in, optionally fine-tunes with
 * distillation, and reports per layer and in total.
 *
 * The model is changed in place (no copy is made; the dense layers taken out are freed
 * at the end). It is never left half-compressed: every factorized layer is built before
 * any is swapped in, and if anything fails after the swap (evaluation, fine-tuning) the
 * dense layers and the pre-fine-tuning weights are put back before the error is thrown,
 * so on any error the model is exactly as it was.
 */
export async function compress(
  engine: Engine,
  model: nn.Module,
  recipe: CompressRecipe,
): Promise<CompressResult> {
  const started = performance.now();
  const onProgress = recipe.onProgress;
  const step = <T>(name: Step, work: () => Promise<T> | T) => runStep(onProgress, name, work);
  const onBatch = (name: Step) => (batch: number) => onProgress?.({ type: 'batch', step: name, batch });

  const selected = await step('select-layers', () => selectLayers(engine, model, recipe));
  if (selected.layers.length === 0) {
    throw new Error(
      `compress: no layer to compress; left dense: ${selected.skipped.map((s) => `${s.name} (${s.reason})`).join(', ') || 'the model has no Conv2d or Linear layer'}`,
    );
  }
  const plugins = resolvePlugins(engine, recipe);
  const accuracyBefore = recipe.evaluation
    ? await step('evaluate-before', () => evaluate(model, recipe.evaluation!, onBatch('evaluate-before')))
    : undefined;

  const calibration = await step('calibrate', () => calibrationPass(model, selected.layers, recipe, plugins));
  const layers: (RankLayer & TargetLayer)[] = selected.layers.map((l) => ({
    ...l,
    info: withInputSize(l.info, calibration.inputSizes),
    weight: l.module.weight,
  }));
  const metrics = new Map<string, Metric>();
  const sigmaMetrics = new Map<string, Metric>();
  const decomposed: DecomposedLayer[] = [];
  const warnings: string[] = [];
  try {
    for (const { info } of layers) {
      const normStats = calibration.normStats?.get(info.name);
      for (const message of plugins.norm?.diagnose?.(info, normStats) ?? []) {
        warnings.push(message);
        onProgress?.({ type: 'warning', step: 'calibrate', message });
      }
      const normMetric = plugins.norm?.metric(info, normStats);
      if (normMetric) metrics.set(info.name, normMetric);
      if (plugins.sigma) {
        const stats = calibration.reportNormStats?.get(info.name);
        sigmaMetrics.set(
          info.name,
          normMetric && plugins.sigma === plugins.norm ? normMetric : plugins.sigma.metric(info, stats),
        );
      }
    }
    const costs = modelCosts(model, calibration.inputSizes);
    const targetDense = sumCosts(layers.map((l) => denseCost(l.info)));
    const rest = { params: costs.params - targetDense.params, flops: costs.flops - targetDense.flops };
    const selection = await step('select-ranks', () =>
      selectRanks(engine, layers, {
        ranks: recipe.ranks,
        rest,
        stats: calibration.selectorStats,
        metrics: plugins.norm ? metrics : undefined,
      }),
    );
    decomposed.push(
      ...(await step('decompose', () =>
        decomposeLayers(layers, selection, {
          metrics,
          sigmaMetrics,
          seed: recipe.seed ?? 0,
          settings: recipe.decomposeSettings,
          onLayer: (layer, index, count, seconds) =>
            onProgress?.({ type: 'layer', step: 'decompose', layer, index, count, seconds }),
        }),
      )),
    );
    const result = buildReport(layers, selection, decomposed, {
      skipped: selected.skipped,
      norm: plugins.norm?.name ?? FROBENIUS_NORM,
      rankSelection: describeRanks(recipe.ranks),
      model: costs,
      calibrationBatches: calibration.batches,
      warnings,
    });
    const compressed = await swapIn(model, layers, decomposed, recipe, result, step, onBatch);
    result.seconds = (performance.now() - started) / 1000;
    if (accuracyBefore !== undefined && compressed.accuracyAfter !== undefined) {
      result.accuracy = { before: accuracyBefore, after: compressed.accuracyAfter };
      if (compressed.accuracyFineTuned !== undefined)
        result.accuracy.fineTuned = compressed.accuracyFineTuned;
    }
    return { model, report: result };
  } catch (e) {
    for (const d of decomposed) d.replacement?.dispose();
    throw e;
  } finally {
    // The norm's metrics hold tensors (Sigma's whitening factors); the two maps may share them.
    for (const t of new Set(factorTensors([...metrics.values(), ...sigmaMetrics.values()]))) t.dispose();
  }
}

function buildReport(
  layers: readonly TargetLayer[],
  selection: RankSelection,
  decomposed: readonly DecomposedLayer[],
  context: Pick<
    CompressionReport,
    'skipped' | 'norm' | 'rankSelection' | 'calibrationBatches' | 'warnings'
  > & {
    model: Cost;
  },
): CompressionReport {
  const layerReports: LayerReport[] = layers.map((l, j) => {
    const entry = selection.layers[j];
    const replacement = decomposed[j].replacement;
    return {
      name: l.name,
      kind: l.info.kind,
      shape: [...l.info.weightShape],
      decomposition: entry.keptDense ? null : l.decomposition.name,
      ranks: entry.ranks,
      reason: entry.reason,
      before: entry.dense,
      // Measured on the module built: a centred Sigma metric gives a bias-free layer a bias,
      // and a decomposition may clip the ranks it was asked for (TR-SVD to its unfoldings).
      after: replacement ? measuredCost(replacement, l.info) : entry.cost,
      error: decomposed[j].error,
      seconds: decomposed[j].seconds,
    };
  });
  const before = sumCosts(layerReports.map((l) => l.before));
  const after = sumCosts(layerReports.map((l) => l.after));
  const { model, ...rest } = context;
  return {
    layers: layerReports,
    ...rest,
    total: {
      model: costTotals(model, {
        params: model.params - before.params + after.params,
        flops: model.flops - before.flops + after.flops,
      }),
      layers: costTotals(before, after),
    },
    seconds: 0,
  };
}

interface Plugins {
  norm?: NormPlugin;
  selector?: RankSelectorPlugin;
  /** The Sigma norm for the report's Sigma errors, when registered and calibration data is given. */
  sigma?: NormPlugin;
}

function resolvePlugins(engine: Engine, recipe: CompressRecipe): Plugins {
  const norm = resolveNorm(engine, recipe.norm ?? FROBENIUS_NORM);
  const selector = 'selector' in recipe.ranks ? engine.plugins.get('rank', recipe.ranks.selector) : undefined;
  if (!recipe.calibration) {
    if (norm && normNeedsCalibration(norm)) {
      throw new Error(
        `compress: the '${norm.name}' norm needs calibration data; pass recipe.calibration, or use a norm that needs none (such as '${FROBENIUS_NORM}')`,
      );
    }
    if (selector?.collector) {
      throw new Error(
        `compress: the '${selector.name}' rank selector learns from calibration data; pass recipe.calibration`,
      );
    }
  }
  const sigma =
    recipe.calibration && engine.plugins.has('norm', 'sigma')
      ? engine.plugins.get('norm', 'sigma')
      : undefined;
  return { norm, selector, sigma };
}

/**
 * The registered norm plugin of that name. The Frobenius metric is also built in: asked
 * for by its name with no plugin registered under it, there is no plugin (the decompositions
 * then minimise the plain weight error, their default).
 */
function resolveNorm(engine: Engine, name: string): NormPlugin | undefined {
  if (name === FROBENIUS_NORM && !engine.plugins.has('norm', name)) return undefined;
  return engine.plugins.get('norm', name);
}

/** Runs the calibration data (or one zero sample of `inputShape`) through the model once. */
async function calibrationPass(
  model: nn.Module,
  layers: readonly TargetLayer[],
  recipe: CompressRecipe,
  plugins: Plugins,
): Promise<CalibrationResult> {
  if (recipe.calibration) {
    return calibrateLayers(model, layers, {
      data: recipe.calibration,
      norm: plugins.norm,
      selector: plugins.selector,
      reportNorm: plugins.sigma === plugins.norm ? undefined : plugins.sigma,
      onBatch: (batch) => recipe.onProgress?.({ type: 'batch', step: 'calibrate', batch }),
    });
  }
  const hasConv = model.namedModules().some(([, m]) => m instanceof nn.Conv2d);
  if (!recipe.inputShape) {
    if (hasConv) {
      throw new Error(
        'compress: the conv layers need their input sizes (for FLOP counts); pass recipe.calibration or recipe.inputShape (one sample, e.g. [1, 28, 28])',
      );
    }
    return { batches: 0, inputSizes: new Map() };
  }
  const sample = model.engine.zeros([1, ...recipe.inputShape]);
  try {
    const sizes = await calibrateLayers(model, layers, { data: [{ inputs: sample }] });
    return { batches: 0, inputSizes: sizes.inputSizes };
  } finally {
    sample.dispose();
  }
}

function withInputSize(info: LayerInfo, sizes: ReadonlyMap<string, [number, number]>): LayerInfo {
  if (info.kind !== 'conv2d') return info;
  const size = sizes.get(info.name);
  if (!size) {
    throw new Error(
      `compress: '${info.name}' did not run on the calibration data; is it used by the model's forward?`,
    );
  }
  return { ...info, inputSize: size };
}

/** The model's params (all of them) and MACs (its conv and linear layers). */
function modelCosts(model: nn.Module, sizes: ReadonlyMap<string, [number, number]>) {
  let flops = 0;
  for (const [name, module] of model.namedModules()) {
    if (name === '' || !isDecomposable(module)) continue;
    flops += denseCost(layerInfo(name, module, sizes.get(name))).flops;
  }
  return { params: model.numParameters(), flops };
}

function describeRanks(ranks: RankRecipe): string {
  if ('explicit' in ranks) return 'explicit';
  const b = ranks.budget;
  return b
    ? `${ranks.selector} (${b.kind} ${b.value} over the ${b.scope === 'model' ? 'model' : 'layers'})`
    : ranks.selector;
}

/**
 * Swaps the factorized layers in, then evaluates and fine-tunes; on any error puts the
 * dense layers and the pre-fine-tuning weights back. On success frees the dense layers.
 */
async function swapIn(
  model: nn.Module,
  layers: readonly TargetLayer[],
  decomposed: readonly DecomposedLayer[],
  recipe: CompressRecipe,
  report: CompressionReport,
  step: <T>(name: Step, work: () => Promise<T> | T) => Promise<T>,
  onBatch: (name: Step) => (batch: number) => void,
): Promise<{ accuracyAfter?: number; accuracyFineTuned?: number }> {
  const replacements = new Map<string, nn.Module>();
  for (const d of decomposed) if (d.replacement) replacements.set(d.name, d.replacement);
  const originals = await step('replace', () => {
    const taken = replaceLayers(model, replacements);
    for (const r of replacements.values()) r.train(model.training);
    return taken;
  });
  let snapshot: Map<string, Tensor> | null = null;
  try {
    const evaluation = recipe.evaluation;
    const accuracyAfter = evaluation
      ? await step('evaluate-after', () => evaluate(model, evaluation, onBatch('evaluate-after')))
      : undefined;
    let accuracyFineTuned: number | undefined;
    if (recipe.fineTune) {
      snapshot = copyState(model);
      const distilled: DistilledLayer[] = layers
        .filter((l) => replacements.has(l.name))
        .map((l) => ({ info: l.info, original: l.module, replacement: replacements.get(l.name)! }));
      const options = { evaluation, ...recipe.fineTune, seed: recipe.seed, onProgress: recipe.onProgress };
      report.fineTune = await step('fine-tune', () => fineTune(model, distilled, options));
      if (evaluation) {
        accuracyFineTuned = await step('evaluate-fine-tuned', () =>
          evaluate(model, evaluation, onBatch('evaluate-fine-tuned')),
        );
      }
    }
    for (const original of originals.values()) original.dispose();
    return { accuracyAfter, accuracyFineTuned };
  } catch (e) {
    replaceLayers(model, originals);
    if (snapshot) model.loadStateDict(snapshot, { strict: false });
    throw e;
  } finally {
    if (snapshot) for (const t of snapshot.values()) t.dispose();
  }
}

/** A copy of every parameter and buffer of the model. */
function copyState(model: nn.Module): Map<string, Tensor> {
  const engine = model.engine;
  return new Map(
    [...model.stateDict()].map(([name, t]) => [name, engine.keep(engine.noGrad(() => mul(t, 1)))]),
  );
}
