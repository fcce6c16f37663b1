import type { Budget, DecomposeOptions, DecompositionPlugin, Tensor } from '@lowrank/core';

/** A batch of the validation data the logits are trained on. */
export interface ValidationBatch {
  inputs: Tensor;
  /** Class indices, one per sample. */
  labels: Tensor;
}

/** Where the search is, reported after every step. */
export interface ReneProgress {
  /** 0-based stage of the multi-step search, and its interval `s`. */
  stage: number;
  interval: number;
  phase: 'warm-up' | 'search';
  /** 1-based step within the phase, and the phase's number of steps. */
  step: number;
  steps: number;
  /** `sum_i ‖W_i - sum_r p_i^r What_i^r‖^2` at this step. */
  weightError: number;
  /** `L_r` at this step. */
  rankLoss: number;
  /** Cross-entropy on this step's validation batch (search phase only). */
  validationLoss?: number;
}

export interface ReneSettings {
  /** First search interval `s` (default 10). */
  interval?: number;
  /** Narrowing factor `f`: each stage searches with `s / f` (default 10); stops when `s < 1`. */
  factor?: number;
  /** Rank-loss scale `gamma` (default 0.4). */
  gamma?: number;
  /** Rank-loss exponent `beta` (default 0.8). */
  beta?: number;
  /** Weight-only steps at the start of every stage (default 20). */
  warmupSteps?: number;
  /** Alternating weight and logit steps per stage (default 50). */
  searchSteps?: number;
  /** Adam learning rate of the candidates' factors (default 1e-3). */
  weightLr?: number;
  /** Adam learning rate of the logits (default 0.05). */
  logitLr?: number;
  /** Seed of the candidates' decompositions (default 0). */
  seed?: number;
  /** Options passed to every `decompose` of a candidate (e.g. `{ maxIterations: 20 }`). */
  decomposeOptions?: DecomposeOptions;
  /**
   * First-stage scalar candidates by layer name, instead of `s, 2s, ...`; they must be
   * integers in `[1, largest rank bound]`.
   */
  candidates?: Readonly<Record<string, readonly number[]>>;
  onProgress?: (progress: ReneProgress) => void;
}

export interface ReneSearchOptions extends ReneSettings {
  decomposition: DecompositionPlugin;
  /** Dotted names of the Conv2d/Linear layers to choose ranks for. */
  layers: readonly string[];
  /** Validation batches for `L_val`, used in turn; the first one also sizes the conv inputs. */
  validation: readonly ValidationBatch[];
  /**
   * Optional budget: the searched scalar ranks are scaled by one common factor, the
   * largest whose ranks meet it (see the README).
   */
  budget?: Budget;
}

export type ResolvedSettings = Required<
  Omit<ReneSettings, 'onProgress' | 'candidates' | 'decomposeOptions'>
> &
  Pick<ReneSettings, 'onProgress' | 'candidates'> & { decomposeOptions: DecomposeOptions };

/** The settings with their defaults, each checked with a message naming it. */
export function resolveSettings(settings: ReneSettings): ResolvedSettings {
  const s = {
    interval: settings.interval ?? 10,
    factor: settings.factor ?? 10,
    gamma: settings.gamma ?? 0.4,
    beta: settings.beta ?? 0.8,
    warmupSteps: settings.warmupSteps ?? 20,
    searchSteps: settings.searchSteps ?? 50,
    weightLr: settings.weightLr ?? 1e-3,
    logitLr: settings.logitLr ?? 0.05,
    seed: settings.seed ?? 0,
    decomposeOptions: settings.decomposeOptions ?? {},
    candidates: settings.candidates,
    onProgress: settings.onProgress,
  };
  const positive = (name: string, v: number) => {
    if (!(Number.isFinite(v) && v > 0))
      throw new RangeError(`rank-rene: ${name} must be a positive number, got ${v}`);
  };
  const count = (name: string, v: number) => {
    if (!(Number.isInteger(v) && v >= 0))
      throw new RangeError(`rank-rene: ${name} must be a non-negative integer, got ${v}`);
  };
  positive('interval', s.interval);
  if (s.interval < 1) throw new RangeError(`rank-rene: interval must be at least 1, got ${s.interval}`);
  positive('factor', s.factor);
  if (s.factor <= 1)
    throw new RangeError(
      `rank-rene: factor must be greater than 1 (it divides the interval), got ${s.factor}`,
    );
  positive('gamma', s.gamma);
  positive('beta', s.beta);
  positive('weightLr', s.weightLr);
  positive('logitLr', s.logitLr);
  count('warmupSteps', s.warmupSteps);
  count('searchSteps', s.searchSteps);
  if (!Number.isSafeInteger(s.seed))
    throw new RangeError(`rank-rene: seed must be a safe integer, got ${s.seed}`);
  return s;
}
