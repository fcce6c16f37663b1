import { type AdmmLayer, type AdmmRoundReport, admmTrain, factorizeLayers } from '@lowrank/admm';
import { type Engine, nn, optim } from '@lowrank/core';
import type { FashionMnist } from '@lowrank/fashion-mnist';
import { LeNet5 } from '@lowrank/models';
import { tt } from '@lowrank/tt';
import type { RankPlan } from './ranks.js';
import { epochBatches, evaluate, type Recipe, sgd, stepsPerEpoch, train } from './training.js';

export type ArmName = 'dense' | 'direct' | 'admm';
export const ARMS: readonly ArmName[] = ['dense', 'direct', 'admm'];

/** How one schedule's total epochs are spent: shared dense pretraining, then per arm. */
export interface Split {
  total: number;
  pretrain: number;
  /** ADMM rounds of one epoch each (arm admm). */
  admm: number;
  /** Fine-tuning epochs of arm admm; arm direct fine-tunes `total - pretrain`, arm dense trains on as long. */
  finetune: number;
}

/** 3/8 of the epochs dense, 1/4 fine-tuning, the rest ADMM (4 -> 2 + 1 + 1; 8 -> 3 + 3 + 2; 30 -> 11 + 11 + 8). */
export function splitEpochs(total: number): Split {
  if (!Number.isInteger(total) || total < 3)
    throw new RangeError(`a schedule needs at least 3 epochs, got ${total}`);
  const pretrain = Math.max(1, Math.round((total * 3) / 8));
  const finetune = Math.max(1, Math.round(total / 4));
  return { total, pretrain, admm: total - pretrain - finetune, finetune };
}

export interface ArmResult {
  arm: ArmName;
  /** Accuracy after the shared dense pretraining. */
  pretrainAccuracy: number;
  /** dense: after all its epochs; direct and admm: after fine-tuning. */
  finalAccuracy: number;
  /** direct and admm: right after decomposition, before any fine-tuning. */
  accuracyAtDecomposition?: number;
  /** admm: the dense model's accuracy after the last ADMM round, before decomposing. */
  accuracyBeforeDecomposition?: number;
  /** direct and admm: ‖W - What‖ / ‖W‖ per layer at decomposition. */
  decompositionErrors?: Record<string, number>;
  /** admm: sum ‖W - Z‖^2 before the first round (Z = project(W)). */
  initialResidual?: number;
  /** admm: one entry per round (loss, penalty, sum ‖W - Z‖^2 and per layer, accuracy). */
  rounds?: AdmmRoundReport[];
  /** Mean training loss per epoch after pretraining (dense, direct: all; admm: fine-tuning). */
  losses: number[];
  seconds: number;
}

/** The dense model every arm of a schedule starts from, as safetensors, with its test accuracy. */
export interface Pretrained {
  weights: Uint8Array;
  accuracy: number;
}

/**
 * The shared dense pretraining: LeNet-5 from the seed, trained for `split.pretrain`
 * epochs. It runs once per schedule and every arm loads it, so the arms share that model
 * exactly (and a parallel run does not train it once per arm).
 */
export async function pretrain(
  engine: Engine,
  split: Split,
  data: { train: FashionMnist; test: FashionMnist },
  recipe: Recipe,
  log: (line: string) => void,
): Promise<Pretrained> {
  engine.seed(recipe.seed);
  const model = new LeNet5(engine);
  await train(engine, model, data.train, recipe, {
    epochs: split.pretrain,
    firstEpoch: 0,
    schedule: optim.oneCycleSchedule({
      maxLr: recipe.lr,
      total: split.pretrain * stepsPerEpoch(data.train, recipe),
    }),
    onEpoch: (e, loss) => log(`pretrain epoch ${e + 1}/${split.pretrain}: loss ${loss.toFixed(4)}`),
  });
  const accuracy = await evaluate(engine, model, data.test);
  log(`pretrained dense accuracy ${accuracy.toFixed(4)}`);
  const weights = await nn.saveModule(model);
  model.dispose();
  return { weights, accuracy };
}

/**
 * One arm of one schedule, from the shared pretrained model: dense trains on; direct
 * decomposes at the planned TT ranks and fine-tunes; admm runs ADMM rounds, decomposes
 * and fine-tunes. Every arm spends `split.total` epochs, pretraining included.
 */
export async function runArm(
  engine: Engine,
  arm: ArmName,
  split: Split,
  plan: RankPlan,
  pretrained: Pretrained,
  data: { train: FashionMnist; test: FashionMnist },
  recipe: Recipe & { rho: number },
  log: (line: string) => void,
): Promise<ArmResult> {
  const started = performance.now();
  engine.seed(recipe.seed);
  const model = new LeNet5(engine);
  nn.loadWeights(model, pretrained.weights);
  const pretrainAccuracy = pretrained.accuracy;
  const perEpoch = stepsPerEpoch(data.train, recipe);
  const rest = split.total - split.pretrain;
  const cosine = (epochs: number) => optim.cosineSchedule({ base: recipe.lrAfter, total: epochs * perEpoch });
  const onEpoch = (what: string, epochs: number, first: number) => (e: number, loss: number) =>
    log(`${what} epoch ${e - first + 1}/${epochs}: loss ${loss.toFixed(4)}`);
  const layers: AdmmLayer[] = plan.layers.flatMap((l) =>
    l.ranks ? [{ name: l.name, decomposition: tt(), ranks: l.ranks }] : [],
  );
  const result: ArmResult = { arm, pretrainAccuracy, finalAccuracy: Number.NaN, losses: [], seconds: 0 };

  const decompose = async () => {
    const replaced = await factorizeLayers(engine, model, layers);
    result.decompositionErrors = Object.fromEntries(replaced.map((r) => [r.name, r.relativeError]));
    result.accuracyAtDecomposition = await evaluate(engine, model, data.test);
    log(`accuracy right after decomposition ${result.accuracyAtDecomposition.toFixed(4)}`);
  };

  if (arm === 'dense') {
    result.losses = await train(engine, model, data.train, recipe, {
      epochs: rest,
      firstEpoch: split.pretrain,
      schedule: cosine(rest),
      onEpoch: onEpoch('dense', rest, split.pretrain),
    });
  } else if (arm === 'direct') {
    await decompose();
    result.losses = await train(engine, model, data.train, recipe, {
      epochs: rest,
      firstEpoch: split.pretrain,
      schedule: cosine(rest),
      onEpoch: onEpoch('fine-tune', rest, split.pretrain),
    });
  } else {
    const admm = await admmTrain(engine, model, {
      layers,
      rho: recipe.rho,
      rounds: split.admm,
      optimizer: sgd(model, recipe),
      schedule: cosine(split.admm),
      batches: (round) => epochBatches(data.train, recipe, split.pretrain + round),
      evaluate: (m) => evaluate(engine, m, data.test),
      onRound: (r) =>
        log(
          `admm round ${r.round}/${split.admm}: loss ${r.loss.toFixed(4)}, sum ‖W - Z‖^2 ${r.residual.toExponential(3)}, accuracy ${r.accuracy?.toFixed(4)}`,
        ),
    });
    result.initialResidual = admm.initialResidual;
    result.rounds = admm.history;
    result.accuracyBeforeDecomposition = admm.history[admm.history.length - 1]?.accuracy;
    await decompose();
    result.losses = await train(engine, model, data.train, recipe, {
      epochs: split.finetune,
      firstEpoch: split.pretrain + split.admm,
      schedule: cosine(split.finetune),
      onEpoch: onEpoch('fine-tune', split.finetune, split.pretrain + split.admm),
    });
  }
  result.finalAccuracy = await evaluate(engine, model, data.test);
  result.seconds = (performance.now() - started) / 1000;
  log(`final accuracy ${result.finalAccuracy.toFixed(4)} (${result.seconds.toFixed(0)} s)`);
  model.dispose();
  return result;
}
