import type { Cost } from '../decomposition/layer-info.js';
import type { Budget } from './plugin.js';

/** Checks a budget before a selector solves for it; `selector` names who asks, for the message. */
export function checkBudget(budget: Budget, selector: string): void {
  if (!['ratio', 'params', 'flops-reduction'].includes(budget.kind)) {
    throw new Error(
      `${selector}: unknown budget kind '${String(budget.kind)}'; expected 'ratio', 'params' or 'flops-reduction'`,
    );
  }
  if (!Number.isFinite(budget.value) || budget.value <= 0) {
    throw new Error(`${selector}: the ${budget.kind} budget must be a positive number, got ${budget.value}`);
  }
  if (budget.scope === 'model' && !(budget.rest?.params >= 0 && budget.rest?.flops >= 0)) {
    throw new Error(
      `${selector}: a budget with scope 'model' needs \`rest\`, the params and MACs of the model's other parts`,
    );
  }
}

/**
 * Whether a selection costing `after` (over the selected layers, dense cost `before`)
 * meets the budget; with scope 'model' the cost of the model's other parts is added to both.
 */
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

/** The budget in words, for reasons and error messages. */
export function describeBudget(budget: Budget): string {
  const scope = budget.scope === 'model' ? ' over the whole model' : ' over the selected layers';
  if (budget.kind === 'params') return `at most ${budget.value} params${scope}`;
  if (budget.kind === 'ratio') return `${budget.value}x fewer params${scope}`;
  return `${budget.value}x fewer MACs${scope}`;
}

/**
 * The largest index in `[0, count)` at which `fits` holds, by bisection, for a `fits` that
 * holds from index 0 up to some index and at none after it: candidates in the order of a
 * cost that grows with the index, tried against a budget. `fits(0)` is not tried (callers
 * check it first, to say why the budget cannot be met); every probe is an index in `(0, count)`.
 */
export function lastFitting(count: number, fits: (index: number) => boolean): number {
  let [lo, hi] = [0, count - 1];
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
