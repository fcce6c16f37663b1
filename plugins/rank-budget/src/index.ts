export { breakpoints, type Fraction } from './fractions.js';
export type { MinimumRanks } from './minimum-ranks.js';
export { type BudgetRankSelector, type BudgetSelection, type BudgetSettings, rankBudget } from './plugin.js';
