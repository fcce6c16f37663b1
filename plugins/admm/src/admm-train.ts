import { crossEntropy, type Engine, type nn, type Tensor } from '@lowrank/core';
import { AdmmVariables } from './admm-variables.js';
import {
  type CheckpointContents,
  decodeCheckpoint,
  disposeCheckpoint,
  encodeCheckpoint,
} from './checkpoint.js';
import { type ResolvedLayer, resolveLayers } from './constrained-layers.js';
import type { AdmmBatch, AdmmResult, AdmmRoundReport, AdmmTrainOptions } from './options.js';
import { trainRound } from './train-round.js';

/** The admm paper's default penalty weight (sec. 5; its published code uses 1e-3). */
export const DEFAULT_RHO = 0.005;

/**
 * ADMM-regularised training (admm paper, Alg. 2): minimises `l(W)` subject to each
 * constrained layer's weight lying in its decomposition's rank set, as `l(W) + g(Z)` with
 * `W = Z` and the scaled dual `U`. Starts from `U = 0`, `Z = project(W)`; every batch takes
 * an optimizer step on `l(W) + rho/2 sum ‖W_l - Z_l + U_l‖^2`; every round sets
 * `Z_l <- project(W_l + U_l)`, `U_l <- U_l + W_l - Z_l`, until `sum ‖W - Z‖^2 < tolerance`
 * or `rounds` rounds. The model is trained in place; decompose it afterwards with
 * `factorizeLayers`. With a checkpoint store the run saves after every round and resumes
 * from what it finds there.
 */
export async function admmTrain(
  engine: Engine,
  model: nn.Module,
  options: AdmmTrainOptions,
): Promise<AdmmResult> {
  const settings = checkOptions(options);
  const layers = resolveLayers(model, options.layers);
  const { optimizer, checkpoint } = options;
  const lossOf = options.loss ?? defaultLoss;

  const saved = checkpoint ? await checkpoint.load() : null;
  let variables: AdmmVariables;
  let history: AdmmRoundReport[] = [];
  let initialResidual: number;
  let startRound = 0;
  if (saved) {
    const contents = decodeCheckpoint(engine, saved);
    try {
      checkMatches(contents, layers, settings.rho);
      model.loadStateDict(contents.model);
      optimizer.loadStateDict(contents.optimizer);
      variables = AdmmVariables.restore(engine, layers, contents.z, contents.u);
    } finally {
      disposeCheckpoint(contents);
    }
    history = contents.info.history;
    initialResidual = contents.info.initialResidual;
    startRound = contents.info.round;
  } else {
    variables = await AdmmVariables.start(engine, layers);
    initialResidual = sumOf(await variables.residuals());
  }

  try {
    let converged = history.length > 0 && history[history.length - 1].residual < settings.tolerance;
    for (let round = startRound; round < settings.rounds && !converged; round++) {
      engine.seed(settings.seed + round);
      model.train();
      const done = await trainRound(engine, model, variables, round, settings, { ...options, loss: lossOf });
      if (done.steps === 0)
        throw new Error(`admm: round ${round + 1} got no training batches from batches(${round})`);
      await variables.update();
      const residuals = await variables.residuals();
      const report: AdmmRoundReport = {
        round: round + 1,
        steps: optimizer.stepCount,
        loss: done.lossSum / done.steps,
        penalty: done.penaltySum / done.steps,
        residual: sumOf(residuals),
        layers: layers.map((layer, l) => ({ name: layer.name, residual: residuals[l] })),
      };
      if (options.evaluate) {
        model.eval();
        report.accuracy = await options.evaluate(model, round);
        model.train();
      }
      history.push(report);
      converged = report.residual < settings.tolerance;
      if (checkpoint) {
        const info = {
          round: round + 1,
          rho: settings.rho,
          layers: layers.map((layer) => ({ name: layer.name, ranks: [...layer.ranks] })),
          initialResidual,
          history,
        };
        await checkpoint.save(await encodeCheckpoint(info, model, variables.values, optimizer));
      }
      options.onRound?.(report);
    }
    return { history, initialResidual, converged, resumedFrom: startRound };
  } finally {
    variables.dispose();
  }
}

function defaultLoss(model: nn.Module, batch: AdmmBatch): Tensor {
  const { engine } = model;
  return crossEntropy(
    model.call(engine.fromData(batch.x, batch.xShape)),
    engine.fromData(batch.y, [batch.y.length]),
  );
}

function checkOptions(options: AdmmTrainOptions) {
  const { rho = DEFAULT_RHO, rounds, stepsPerRound, tolerance = 0, seed = 0 } = options;
  if (!(rho > 0 && Number.isFinite(rho)))
    throw new RangeError(`admm: rho must be a positive number, got ${rho}`);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new RangeError(`admm: rounds must be an integer >= 1, got ${rounds}`);
  if (stepsPerRound !== undefined && !(Number.isInteger(stepsPerRound) && stepsPerRound >= 1)) {
    throw new RangeError(
      `admm: stepsPerRound must be an integer >= 1 (or left out for an epoch), got ${stepsPerRound}`,
    );
  }
  if (!(tolerance >= 0)) throw new RangeError(`admm: tolerance must be >= 0, got ${tolerance}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`admm: seed must be a safe integer, got ${seed}`);
  if (typeof options.batches !== 'function') {
    throw new TypeError("admm: batches must be a function of the round index returning that round's batches");
  }
  return { rho, rounds, stepsPerRound, tolerance, seed };
}

/** A checkpoint must come from a run over the same layers, ranks and rho. */
function checkMatches(contents: CheckpointContents, layers: readonly ResolvedLayer[], rho: number): void {
  const want = layers.map((l) => `${l.name} [${l.ranks.join(', ')}]`).join('; ');
  const got = contents.info.layers.map((l) => `${l.name} [${l.ranks.join(', ')}]`).join('; ');
  if (want !== got) {
    throw new Error(
      `admm: the checkpoint is for layers ${got}, this run constrains ${want}; use a fresh checkpoint`,
    );
  }
  if (contents.info.rho !== rho) {
    throw new Error(
      `admm: the checkpoint was trained with rho = ${contents.info.rho}, this run asks for ${rho}`,
    );
  }
}

function sumOf(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
