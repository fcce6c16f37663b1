import type { Optimizer } from './optimizer.js';

/** A learning-rate (and optionally momentum) schedule as a function of the step index. */
export interface Schedule {
  lr(step: number): number;
  momentum?(step: number): number;
}

/** lr = base * gamma^floor(step / stepSize). */
export function stepSchedule(options: { base: number; stepSize: number; gamma?: number }): Schedule {
  const { base, stepSize, gamma = 0.1 } = options;
  if (!(stepSize >= 1)) throw new RangeError(`stepSchedule: stepSize must be >= 1, got ${stepSize}`);
  return { lr: (step) => base * gamma ** Math.floor(step / stepSize) };
}

/** Cosine annealing from `base` to `min` over `total` steps, then `min`. */
export function cosineSchedule(options: { base: number; total: number; min?: number }): Schedule {
  const { base, total, min = 0 } = options;
  if (!(total >= 1)) throw new RangeError(`cosineSchedule: total must be >= 1, got ${total}`);
  return {
    lr: (step) => min + ((base - min) * (1 + Math.cos((Math.PI * Math.min(step, total)) / total))) / 2,
  };
}

export interface OneCycleOptions {
  maxLr: number;
  total: number;
  /** Fraction of the steps spent warming up (default 0.3). */
  pctStart?: number;
  /** Initial lr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** Final lr = initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Momentum cycles inversely between these (default [0.85, 0.95]); null keeps the optimizer's. */
  momentumRange?: [number, number] | null;
}

/** The one-cycle policy (Smith), with cosine annealing in both phases, as PyTorch's OneCycleLR. */
export function oneCycleSchedule(options: OneCycleOptions): Schedule {
  const { maxLr, total, pctStart = 0.3, divFactor = 25, finalDivFactor = 1e4 } = options;
  const momentumRange = options.momentumRange === undefined ? [0.85, 0.95] : options.momentumRange;
  if (!(total >= 2)) throw new RangeError(`oneCycleSchedule: total must be >= 2, got ${total}`);
  const initial = maxLr / divFactor;
  const final = initial / finalDivFactor;
  const peak = pctStart * total - 1;
  const anneal = (start: number, end: number, pct: number) =>
    end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  const phase = (step: number, warm: [number, number], cool: [number, number]) =>
    step <= peak
      ? anneal(warm[0], warm[1], peak > 0 ? step / peak : 1)
      : anneal(cool[0], cool[1], Math.min((step - peak) / (total - 1 - peak), 1));
  const schedule: Schedule = { lr: (step) => phase(step, [initial, maxLr], [maxLr, final]) };
  if (momentumRange) {
    const [low, high] = momentumRange;
    schedule.momentum = (step) => phase(step, [high, low], [low, high]);
  }
  return schedule;
}

/** Applies a schedule to an optimizer: call `step()` after each optimizer step. */
export class LrScheduler {
  private index = 0;
  constructor(
    readonly optimizer: Optimizer & { momentum?: number },
    readonly schedule: Schedule,
  ) {
    this.apply();
  }
  step(): void {
    this.index++;
    this.apply();
  }
  get lastStep(): number {
    return this.index;
  }
  private apply(): void {
    this.optimizer.lr = this.schedule.lr(this.index);
    if (this.schedule.momentum && 'momentum' in this.optimizer)
      this.optimizer.momentum = this.schedule.momentum(this.index);
  }
}
