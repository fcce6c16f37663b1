import { add, type Engine, type nn, stack, type Tensor } from '@lowrank/core';
import type { AdmmVariables } from './admm-variables.js';
import type { AdmmBatch, AdmmTrainOptions } from './options.js';

/** What one round of optimizer steps (the W-step of Alg. 2) leaves to report. */
export interface RoundSteps {
  steps: number;
  lossSum: number;
  penaltySum: number;
}

/**
 * The optimizer steps of one round on `l(W) + rho/2 sum ‖W - Z + U‖^2`, with the lr (and
 * momentum) of the schedule at each global step. Loss and penalty are summed on the device and
 * read once per round, or per step when `onStep` wants them (each read is a GPU sync).
 */
export async function trainRound(
  engine: Engine,
  model: nn.Module,
  variables: AdmmVariables,
  round: number,
  settings: { rho: number; stepsPerRound?: number },
  options: Pick<AdmmTrainOptions, 'optimizer' | 'schedule' | 'batches' | 'onStep'> & {
    loss: (model: nn.Module, batch: AdmmBatch) => Tensor;
  },
): Promise<RoundSteps> {
  const { optimizer, schedule } = options;
  let sums: Tensor = engine.keep(engine.zeros([2]));
  let steps = 0;
  try {
    for await (const batch of options.batches(round)) {
      if (settings.stepsPerRound !== undefined && steps >= settings.stepsPerRound) break;
      if (schedule) {
        optimizer.lr = schedule.lr(optimizer.stepCount);
        if (schedule.momentum && 'momentum' in optimizer)
          optimizer.momentum = schedule.momentum(optimizer.stepCount);
      }
      const terms = engine.tidy(() => {
        const l = options.loss(model, batch);
        const p = variables.penalty(settings.rho);
        optimizer.zeroGrad();
        add(l, p).backward();
        optimizer.step();
        return engine.noGrad(() => stack([l, p]));
      });
      try {
        const next = engine.tidy(() => add(sums, terms));
        sums.dispose();
        sums = engine.keep(next);
        steps++;
        if (options.onStep) {
          const [loss, penalty] = await terms.data();
          options.onStep({ round: round + 1, step: steps, steps: optimizer.stepCount, loss, penalty });
        }
      } finally {
        terms.dispose();
      }
    }
    const [lossSum, penaltySum] = await sums.data();
    return { steps, lossSum, penaltySum };
  } finally {
    sums.dispose();
    optimizer.zeroGrad();
  }
}
