import {
  add,
  crossEntropy,
  type Engine,
  type LayerInfo,
  layerInfo,
  layerSelection,
  mul,
  nn,
  optim,
  type RankSelection,
  type RankSpec,
  rankSelection,
  square,
  sub,
  sum,
  type Tensor,
} from '@lowrank/core';
import { scaledScalars, scaleToBudget } from './budget-scale.js';
import { firstCandidates, intervalSchedule, narrowedCandidates, ranksAt, scalarBound } from './candidates.js';
import { type Candidate, MixtureLayer } from './mixture-layer.js';
import { type RankLossTerm, rankLoss } from './rank-loss.js';
import { type ReneSearchOptions, type ResolvedSettings, resolveSettings } from './settings.js';

/** One stage of one layer's search: the candidates, their final `p`, the winner. */
export interface ReneStage {
  interval: number;
  /** Scalar ranks searched (one per distinct set of layer ranks). */
  candidates: number[];
  probabilities: number[];
  /** The scalar rank with the highest `p`. */
  chosen: number;
}

/** The search of one layer, stage by stage. */
export interface ReneLayerSearch {
  name: string;
  /** `max R_i` of the rank loss: the layer's largest rank bound. */
  maxRank: number;
  stages: ReneStage[];
  /** The scalar rank of the last stage's argmax, before any budget scaling. */
  searched: number;
}

/** A RENE selection: the ranks with their costs, the search behind them, and the budget scale. */
export interface ReneSelection extends RankSelection {
  search: ReneLayerSearch[];
  /** The common factor applied to the searched scalar ranks to meet the budget; null without a budget. */
  scale: number | null;
}

interface SearchLayer {
  info: LayerInfo;
  spec: RankSpec;
  bound: number;
  weight: Tensor;
  module: nn.Module;
  parent: nn.Module;
  childName: string;
  search: ReneLayerSearch;
}

/**
 * RENE's multi-step continuous rank search (Aghababaei and Amini): every selected layer
 * becomes a mixture of candidate decompositions with softmax weights; the candidates'
 * factors minimise `[sum_i ‖W_i - sum_r p_i^r What_i^r‖^2] * L_r` (no data), the logits
 * `L_val * L_r`, after weight-only warm-up steps; the argmax of each layer seeds a finer
 * stage around it until the interval drops below 1. The model is left as it was.
 */
export async function reneSearch(
  engine: Engine,
  model: nn.Module,
  options: ReneSearchOptions,
): Promise<ReneSelection> {
  const settings = resolveSettings(options);
  const { decomposition, validation } = options;
  if (options.layers.length === 0)
    throw new Error('rank-rene: no layers to search; pass their names in `layers`');
  if (validation.length === 0) {
    throw new Error(
      'rank-rene: no validation batches; the logits are trained on `validation` ({ inputs, labels })',
    );
  }
  const layers = resolveLayers(engine, model, options, settings);
  const wasTraining = model.training;
  model.eval();
  try {
    const schedule = intervalSchedule(settings.interval, settings.factor);
    for (const [stage, interval] of schedule.entries()) {
      const scalars = layers.map((l) =>
        stage === 0
          ? firstStage(l, settings)
          : narrowedCandidates(l.search.searched, schedule[stage - 1], interval, l.bound),
      );
      await runStage(engine, model, layers, scalars, stage, interval, options, settings);
    }
  } finally {
    for (const l of layers) l.parent.replaceModule(l.childName, l.module);
    model.train(wasTraining);
  }

  const scaled = layers.map((l) => ({ info: l.info, spec: l.spec, scalar: l.search.searched }));
  const scale = options.budget ? scaleToBudget(decomposition, scaled, options.budget) : null;
  const finalScalars = scale === null ? scaled.map((l) => l.scalar) : scaledScalars(scaled, scale);
  const entries = layers.map((l, i) => {
    const last = l.search.stages[l.search.stages.length - 1];
    let reason =
      `rene: p = [${last.probabilities.map((p) => p.toFixed(3)).join(', ')}] over scalar ranks ` +
      `[${last.candidates.join(', ')}] (stage ${l.search.stages.length}, interval ${round(last.interval)}); argmax ${l.search.searched}`;
    if (scale !== null) reason += `; scaled by ${scale.toFixed(4)} to meet the budget: ${finalScalars[i]}`;
    return layerSelection(decomposition, l.info, ranksAt(l.spec, finalScalars[i]), reason);
  });
  return { ...rankSelection(entries), search: layers.map((l) => l.search), scale };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function resolveLayers(
  engine: Engine,
  model: nn.Module,
  options: ReneSearchOptions,
  settings: ResolvedSettings,
): SearchLayer[] {
  const names = options.layers;
  for (const name of Object.keys(settings.candidates ?? {})) {
    if (!names.includes(name)) {
      throw new Error(
        `rank-rene: candidates are given for '${name}', which is not among the searched layers`,
      );
    }
  }
  const modules = names.map((name) => {
    const module = model.getModule(name);
    if (!(module instanceof nn.Conv2d || module instanceof nn.Linear)) {
      throw new TypeError(
        `rank-rene: layer '${name}' is a ${module.typeName}; only Conv2d and Linear layers are searched`,
      );
    }
    return module;
  });
  const sizes = inputSizes(engine, model, names, modules, options.validation[0].inputs);
  return names.map((name, i) => {
    const module = modules[i];
    const info = layerInfo(name, module, sizes.get(name));
    const support = options.decomposition.supports(info);
    if (!support.ok)
      throw new Error(
        `rank-rene: ${options.decomposition.name} cannot decompose '${name}': ${support.reason}`,
      );
    const spec = options.decomposition.rankSpec(info);
    const bound = scalarBound(spec);
    const dot = name.lastIndexOf('.');
    return {
      info,
      spec,
      bound,
      weight: module.weight,
      module,
      parent: dot < 0 ? model : model.getModule(name.slice(0, dot)),
      childName: name.slice(dot + 1),
      search: { name, maxRank: bound, stages: [], searched: bound },
    };
  });
}

/** The spatial input size of every searched conv layer, from one forward pass. */
function inputSizes(
  engine: Engine,
  model: nn.Module,
  names: readonly string[],
  modules: readonly nn.Module[],
  inputs: Tensor,
): Map<string, [number, number]> {
  const sizes = new Map<string, [number, number]>();
  const removers = modules.map((m, i) =>
    m.addForwardHook((_, xs) => {
      if (xs[0].rank === 4) sizes.set(names[i], [xs[0].shape[2], xs[0].shape[3]]);
    }),
  );
  try {
    engine.noGrad(() => engine.tidy(() => model.call(inputs)));
  } finally {
    for (const remove of removers) remove();
  }
  return sizes;
}

function firstStage(layer: SearchLayer, settings: ResolvedSettings): number[] {
  const given = settings.candidates?.[layer.info.name];
  if (given === undefined) return firstCandidates(layer.bound, settings.interval);
  if (given.length === 0) {
    throw new Error(
      `rank-rene: layer '${layer.info.name}' has an empty candidate set; give at least one rank`,
    );
  }
  for (const r of given) {
    if (!Number.isInteger(r) || r < 1 || r > layer.bound) {
      throw new RangeError(
        `rank-rene: candidate ${r} of layer '${layer.info.name}' must be an integer in [1, ${layer.bound}] (its largest rank bound)`,
      );
    }
  }
  return [...new Set(given)].sort((a, b) => a - b);
}

/** Candidates whose ranks coincide after capping are one candidate (the smallest scalar). */
function distinctByRanks(spec: RankSpec, scalars: readonly number[]): { scalar: number; ranks: number[] }[] {
  const seen = new Set<string>();
  const out: { scalar: number; ranks: number[] }[] = [];
  for (const scalar of scalars) {
    const ranks = ranksAt(spec, scalar);
    const key = ranks.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ scalar, ranks });
  }
  return out;
}

async function runStage(
  engine: Engine,
  model: nn.Module,
  layers: readonly SearchLayer[],
  scalars: readonly number[][],
  stage: number,
  interval: number,
  options: ReneSearchOptions,
  settings: ResolvedSettings,
): Promise<void> {
  const { decomposition } = options;
  const mixtures: MixtureLayer[] = [];
  const bias = (m: nn.Module) => (m as nn.Conv2d | nn.Linear).bias;
  try {
    for (const [i, l] of layers.entries()) {
      const candidates: Candidate[] = [];
      for (const { scalar, ranks } of distinctByRanks(l.spec, scalars[i])) {
        const factors = await decomposition.decompose(l.weight, l.info, ranks, {
          ...settings.decomposeOptions,
          seed: settings.seed,
        });
        candidates.push({ scalar, ranks, factors });
      }
      const mixture = new MixtureLayer(engine, l.info, decomposition, candidates, bias(l.module));
      mixtures.push(mixture);
      l.parent.replaceModule(l.childName, mixture);
    }
    trainStage(engine, model, layers, mixtures, stage, interval, options, settings);
    engine.noGrad(() => {
      for (const [i, m] of mixtures.entries()) {
        const p = engine.tidy(() => m.probabilities());
        const probabilities = [...p.dataSync()];
        p.dispose();
        const best = probabilities.indexOf(Math.max(...probabilities));
        const chosen = m.candidates[best].scalar;
        layers[i].search.stages.push({
          interval,
          candidates: m.candidates.map((c) => c.scalar),
          probabilities,
          chosen,
        });
        layers[i].search.searched = chosen;
      }
    });
  } finally {
    for (const m of mixtures) m.disposeCandidates();
  }
}

function trainStage(
  engine: Engine,
  model: nn.Module,
  layers: readonly SearchLayer[],
  mixtures: readonly MixtureLayer[],
  stage: number,
  interval: number,
  options: ReneSearchOptions,
  settings: ResolvedSettings,
): void {
  const factors = mixtures.flatMap((m) => m.factorParameters.flat());
  const logits = mixtures.map((m) => m.logits);
  const weightOptimizer = new optim.Adam(factors, { lr: settings.weightLr });
  const logitOptimizer = new optim.Adam(logits, { lr: settings.logitLr });
  const rankTerms = (): RankLossTerm[] =>
    mixtures.map((m, i) => ({
      probabilities: m.probabilities(),
      ranks: m.candidates.map((c) => c.scalar),
      maxRank: layers[i].bound,
    }));
  /** Sets the targets' gradients and steps the optimiser, inside the caller's tidy scope. */
  const step = (loss: Tensor, targets: Tensor[], optimizer: optim.Optimizer) => {
    const grads = engine.gradients(loss, targets);
    targets.forEach((t, k) => {
      t.grad = grads[k];
    });
    optimizer.step();
    for (const t of targets) t.grad = null;
  };
  const weightStep = () =>
    engine.tidy(() => {
      let error: Tensor | null = null;
      for (const [i, m] of mixtures.entries()) {
        const e = sum(square(sub(layers[i].weight, m.mixedWeight())));
        error = error === null ? e : add(error, e);
      }
      const lr = rankLoss(rankTerms(), settings.gamma, settings.beta);
      step(mul(error as Tensor, lr), factors, weightOptimizer);
      return { weightError: (error as Tensor).itemSync(), rankLoss: lr.itemSync() };
    });
  const logitStep = (k: number) =>
    engine.tidy(() => {
      const batch = options.validation[k % options.validation.length];
      const ce = crossEntropy(model.call(batch.inputs), batch.labels);
      const lr = rankLoss(rankTerms(), settings.gamma, settings.beta);
      step(mul(ce, lr), logits, logitOptimizer);
      return ce.itemSync();
    });

  try {
    const report = settings.onProgress;
    for (let t = 0; t < settings.warmupSteps; t++) {
      const w = weightStep();
      report?.({ stage, interval, phase: 'warm-up', step: t + 1, steps: settings.warmupSteps, ...w });
    }
    for (let t = 0; t < settings.searchSteps; t++) {
      const w = weightStep();
      const validationLoss = logitStep(t);
      report?.({
        stage,
        interval,
        phase: 'search',
        step: t + 1,
        steps: settings.searchSteps,
        ...w,
        validationLoss,
      });
    }
  } finally {
    weightOptimizer.dispose();
    logitOptimizer.dispose();
  }
}
