import type { Budget, Cost } from '@lowrank/core';

/** Checks a budget's value, with a message saying what is expected. */
export function checkBudget(budget: Budget): void {
  if (!['ratio', 'params', 'flops-reduction'].includes(budget.kind)) {
    throw new Error(
      `rank-budget: unknown budget kind '${String(budget.kind)}'; expected 'ratio', 'params' or 'flops-reduction'`,
    );
  }
  if (!Number.isFinite(budget.value) || budget.value <= 0) {
    throw new Error(`rank-budget: the ${budget.kind} budget must be a positive number, got ${budget.value}`);
  }
  if (budget.scope === 'model' && !(budget.rest?.params >= 0 && budget.rest?.flops >= 0)) {
    throw new Error(
      "rank-budget: a budget with scope 'model' needs `rest`, the params and MACs of the model's other parts",
    );
  }
}

/** Whether the selected layers' costs, `before` (dense) and `after`, meet the budget. */
export function fitsBudget(budget: Budget, before: Cost, after: Cost): boolean {
  const rest = budget.scope === 'model' ? budget.rest : { params: 0, flops: 0 };
  const paramsAfter = after.params + rest.params;
  switch (budget.kind) {
    case 'params':
      return paramsAfter <= budget.value;
    case 'ratio':
      return paramsAfter * budget.value <= before.params + rest.params;
    case 'flops-reduction':
      return (after.flops + rest.flops) * budget.value <= before.flops + rest.flops;
  }
}

/** The budget in words, for error messages. */
export function describeBudget(budget: Budget): string {
  const scope = budget.scope === 'model' ? ' over the whole model' : ' over the selected layers';
  if (budget.kind === 'params') return `at most ${budget.value} params${scope}`;
  if (budget.kind === 'ratio') return `${budget.value}x fewer params${scope}`;
  return `${budget.value}x fewer MACs${scope}`;
}
