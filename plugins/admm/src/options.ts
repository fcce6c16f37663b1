import type { Batch, DecompositionPlugin, Metric, nn, optim, Tensor } from '@lowrank/core';
import type { CheckpointStore } from './checkpoint.js';

/** One layer trained towards the rank set of its decomposition. */
export interface AdmmLayer {
  /** Dotted path of a Linear or Conv2d module in the model, e.g. 'fc1' or 'layer2.c1'. */
  name: string;
  /** Any decomposition with a `project` (the Z-step): TT, Tucker2, SVD, CP, TR... */
  decomposition: DecompositionPlugin;
  /** The target ranks `r*`, as the decomposition's `rankSpec` describes them. */
  ranks: readonly number[];
  /** The metric the projection minimises (default Frobenius). */
  metric?: Metric;
}

/** A training batch: inputs `x` of shape `xShape` and class labels `y` (core's `Batch` fits). */
export type AdmmBatch = Pick<Batch, 'x' | 'xShape' | 'y'>;

/** What `onRound` reports after each round (the admm paper's Fig. 3). */
export interface AdmmRoundReport {
  /** 1-based round index. */
  round: number;
  /** Optimizer steps taken so far over the whole run. */
  steps: number;
  /** Mean task loss `l(W)` over the round's batches. */
  loss: number;
  /** Mean ADMM term `rho/2 sum ‖W - Z + U‖^2` over the round's batches. */
  penalty: number;
  /** `sum ‖W - Z‖^2` over the layers after this round's Z- and U-steps (the stopping test). */
  residual: number;
  /** `‖W_l - Z_l‖^2` per layer. */
  layers: { name: string; residual: number }[];
  /** What `evaluate` returned, when given. */
  accuracy?: number;
}

/** What `onStep` reports after each optimizer step. */
export interface AdmmStepReport {
  round: number;
  /** 1-based step within the round. */
  step: number;
  /** Steps so far over the whole run. */
  steps: number;
  loss: number;
  penalty: number;
}

export interface AdmmTrainOptions {
  /** The layers to constrain, each with its decomposition and target ranks. */
  layers: readonly AdmmLayer[];
  /** Penalty weight; default 0.005, the paper's finding (its code uses 1e-3). */
  rho?: number;
  /** Rounds `T`: at most this many Z/U updates. */
  rounds: number;
  /** Optimizer steps per round; default: every batch `batches(round)` yields (an epoch). */
  stepsPerRound?: number;
  /** Stop once `sum ‖W - Z‖^2` after a round is below this; default 0 (run all rounds). */
  tolerance?: number;
  /** Over the model's parameters (SGD, Adam...); its state is checkpointed with the weights. */
  optimizer: optim.Optimizer;
  /** Learning rate (and momentum) by global step index, applied before every step. */
  schedule?: optim.Schedule;
  /**
   * The training batches of a round (0-based). Make the order depend only on the round
   * (e.g. `batches({ ..., shuffle: true, seed: seed + round })`) so that a resumed run
   * sees the same data as an uninterrupted one.
   */
  batches: (round: number) => Iterable<AdmmBatch> | AsyncIterable<AdmmBatch>;
  /** The task loss `l(W)` of a batch; default cross-entropy of `model.call(x)` against `y`. */
  loss?: (model: nn.Module, batch: AdmmBatch) => Tensor;
  /** Called after each round in eval mode (e.g. test accuracy); its value goes into the report. */
  evaluate?: (model: nn.Module, round: number) => number | Promise<number>;
  onRound?: (report: AdmmRoundReport) => void;
  onStep?: (report: AdmmStepReport) => void;
  /**
   * Where W, Z, U, the optimizer state and the round index are saved after every round; a
   * run that finds a checkpoint there continues from it (see `fileCheckpoint` in
   * '@lowrank/admm/node'). Use a fresh store for a fresh run.
   */
  checkpoint?: CheckpointStore;
  /** The engine's generator is reseeded with `seed + round` before each round (dropout); default 0. */
  seed?: number;
}

export interface AdmmResult {
  /** One report per round run, including those restored from a checkpoint. */
  history: AdmmRoundReport[];
  /** `sum ‖W - Z‖^2` with `Z = project(W)` before the first round. */
  initialResidual: number;
  /** True when the residual fell below `tolerance` before `rounds` ran out. */
  converged: boolean;
  /** The round the run resumed after (0 for a fresh run). */
  resumedFrom: number;
}
