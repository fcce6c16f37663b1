import type { Budget } from '@lowrank/core';

/** Checks a budget before solving for it, with a message saying what is expected. */
export function checkBudget(budget: Budget): void {
  if (!['ratio', 'params', 'flops-reduction'].includes(budget.kind)) {
    throw new Error(
      `rank-energy: unknown budget kind '${String(budget.kind)}'; expected 'ratio', 'params' or 'flops-reduction'`,
    );
  }
  if (!Number.isFinite(budget.value) || budget.value <= 0) {
    throw new Error(`rank-energy: the ${budget.kind} budget must be a positive number, got ${budget.value}`);
  }
  if (budget.scope === 'model' && !(budget.rest?.params >= 0 && budget.rest?.flops >= 0)) {
    throw new Error(
      "rank-energy: a budget with scope 'model' needs `rest`, the params and MACs of the model's other parts",
    );
  }
}
