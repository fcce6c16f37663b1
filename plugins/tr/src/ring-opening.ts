/**
 * Where to open a ring to contract it into its full tensor: the core `c` such that chaining
 * cores `c, c+1, .., c-2` and closing with core `c-1` costs the fewest multiply-adds. The
 * chain carries the open bond `R_c` beside every row, and the closing product, which takes
 * the trace over both ring ends at once, costs `N R_{c-1} R_c` (`N` the tensor's size).
 */
export function cheapestOpening(modes: readonly number[], ranks: readonly number[]): number {
  const d = modes.length;
  const r = (k: number) => ranks[k % d];
  const total = modes.reduce((p, n) => p * n, 1);
  let best = 0;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let c = 0; c < d; c++) {
    let rows = r(c) * modes[c];
    let cost = 0;
    for (let j = 1; j < d - 1; j++) {
      const k = (c + j) % d;
      cost += rows * r(k) * modes[k] * r(k + 1);
      rows *= modes[k];
    }
    cost += total * r(c + d - 1) * r(c);
    if (cost < bestCost) [best, bestCost] = [c, cost];
  }
  return best;
}
