import {
  correctedBias,
  type DecomposeOptions,
  decomposeWithMetric,
  FROBENIUS,
  factorTensors,
  type Metric,
  type nn,
  type RankSelection,
  relativeError,
  type Tensor,
} from '@lowrank/core';
import type { RankLayer } from './select-ranks.js';

export interface DecomposeLayersOptions {
  /** The metric each layer is decomposed in, by name (absent: Frobenius). */
  metrics?: ReadonlyMap<string, Metric>;
  /** The Sigma metric by layer name, to report the Sigma error of every layer. */
  sigmaMetrics?: ReadonlyMap<string, Metric>;
  /** Seed of randomized and iterative algorithms. */
  seed?: number;
  /** Extra settings passed to every `decompose` (e.g. `{ maxIterations: 20 }`). */
  settings?: Omit<DecomposeOptions, 'metric' | 'seed'>;
  onLayer?: (name: string, index: number, count: number, seconds: number) => void;
}

/** A decomposable layer with its module (for the bias). */
export interface DecomposableLayer extends RankLayer {
  module: nn.Conv2d | nn.Linear;
}

/** One layer after the decomposition step. */
export interface DecomposedLayer {
  name: string;
  /** The factorized module that will replace the layer; null when the selection kept it dense. */
  replacement: nn.Module | null;
  /** Relative errors of the replacement's weight (0 when kept dense). */
  error: { frobenius: number; sigma?: number };
  seconds: number;
}

/**
 * The decomposition step: decomposes every layer the selection does not keep dense at
 * its ranks, in its norm's metric (core's `decomposeWithMetric`: the plugin's own solver
 * or the generic refinement), builds its factorized module and measures its errors.
 * Nothing is swapped into the model here. If one layer fails, the modules built so far
 * are freed and the error names the layer.
 */
export async function decomposeLayers(
  layers: readonly DecomposableLayer[],
  selection: RankSelection,
  options: DecomposeLayersOptions = {},
): Promise<DecomposedLayer[]> {
  const done: DecomposedLayer[] = [];
  try {
    for (const [index, layer] of layers.entries()) {
      const started = performance.now();
      const entry = selection.layers[index];
      if (entry?.name !== layer.info.name) {
        throw new Error(
          `decomposeLayers: the selection's entry ${index} is '${entry?.name}', expected '${layer.info.name}'`,
        );
      }
      const result = entry.keptDense
        ? {
            replacement: null,
            error: { frobenius: 0, ...(options.sigmaMetrics?.has(entry.name) && { sigma: 0 }) },
          }
        : await decomposeOne(layer, entry.ranks, options);
      const seconds = (performance.now() - started) / 1000;
      done.push({ name: layer.info.name, ...result, seconds });
      options.onLayer?.(layer.info.name, index, layers.length, seconds);
    }
  } catch (e) {
    for (const d of done) d.replacement?.dispose();
    throw e;
  }
  return done;
}

async function decomposeOne(
  layer: DecomposableLayer,
  ranks: readonly number[],
  options: DecomposeLayersOptions,
): Promise<Omit<DecomposedLayer, 'name' | 'seconds'>> {
  const { info, weight, module, decomposition } = layer;
  const metric = options.metrics?.get(info.name) ?? FROBENIUS;
  let factors: unknown;
  try {
    factors = await decomposeWithMetric(decomposition, weight, info, ranks, {
      ...options.settings,
      metric,
      seed: options.seed,
    });
  } catch (e) {
    throw new Error(
      `decomposeLayers: decomposing '${info.name}' with ${decomposition.name} at ranks [${ranks.join(', ')}] failed: ${message(e)}`,
      { cause: e },
    );
  }
  let approx: Tensor | null = null;
  let bias: Tensor | null = null;
  let replacement: nn.Module | null = null;
  try {
    approx = decomposition.reconstruct(factors);
    const frobenius = await relativeError(FROBENIUS, weight, approx, info);
    const sigmaMetric = options.sigmaMetrics?.get(info.name);
    const sigma = sigmaMetric ? await relativeError(sigmaMetric, weight, approx, info) : undefined;
    // A centred Sigma metric leaves the mean output error to the bias.
    bias = correctedBias(metric, weight, approx, module.bias, info);
    replacement = decomposition.layer(factors, info, bias);
    return { replacement, error: sigma === undefined ? { frobenius } : { frobenius, sigma } };
  } catch (e) {
    replacement?.dispose();
    throw new Error(`decomposeLayers: building the factorized '${info.name}' failed: ${message(e)}`, {
      cause: e,
    });
  } finally {
    approx?.dispose();
    if (bias !== module.bias) bias?.dispose();
    // The factorized module holds copies of the factors (and of the bias).
    for (const t of factorTensors(factors)) t.dispose();
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
