/**
 * How a TR-FC layer contracts its input with the cores: one core at a time, in an order
 * chosen for the fewest multiply-adds per sample. The running state holds the batch, the
 * input modes `n_j` of the cores not yet contracted, the output modes `m_j` of those done
 * and the ring bonds between the two sets (bond `R_t` joins cores `t-1` and `t`). Each core
 * takes its `n_k` and the open bonds it touches, and leaves `m_k` and its other bonds.
 */

/** An axis of the state: `n<k>`, `m<k>` (modes of core `k`) or `r<t>` (bond `R_t`). */
type Axis = `${'n' | 'm' | 'r'}${number}`;

export interface TrLinearStep {
  /** The core contracted at this step. */
  core: number;
  /** The state's axes (after the batch) put in this order before the core's Linear: kept, then contracted. */
  arrange: number[];
  /** The core's Linear: `[out, in]` sizes. */
  inFeatures: number;
  outFeatures: number;
  /** The core `[R_k, m_k, n_k, R_{k+1}]` permuted to `[produced.., contracted..]`: the Linear's weight. */
  weightPerm: number[];
  /** The state's shape after the step, without the batch. */
  after: number[];
  /** Multiply-adds per sample. */
  macs: number;
}

export interface TrLinearPlan {
  order: number[];
  steps: TrLinearStep[];
  /** The final state's axes (the `m_j`) put in the output's order `m_1 .. m_d`. */
  finalPerm: number[];
  /** Multiply-adds per sample, all steps. */
  macs: number;
}

const product = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

/** The order older layers used (saved before orders were chosen): the last core first, then back to the first. */
export function legacyOrder(d: number): number[] {
  return Array.from({ length: d }, (_, j) => d - 1 - j);
}

/**
 * The contraction order with the fewest multiply-adds per sample, by dynamic programming
 * over the set of cores already contracted (the state, hence each step's cost, depends on
 * that set only). Ties go to the legacy order's choices.
 */
export function cheapestOrder(
  outModes: readonly number[],
  inModes: readonly number[],
  ranks: readonly number[],
) {
  const d = outModes.length;
  const full = (1 << d) - 1;
  const has = (s: number, k: number) => (s >> ((k + d) % d)) & 1;
  const open = (s: number, t: number) => has(s, t - 1) !== has(s, t);
  const stateSize = (s: number) => {
    let size = 1;
    for (let j = 0; j < d; j++) size *= has(s, j) ? outModes[j] : inModes[j];
    for (let t = 0; t < d; t++) if (open(s, t)) size *= ranks[t];
    return size;
  };
  const best = new Array<number>(full + 1).fill(Number.POSITIVE_INFINITY);
  const choice = new Array<number>(full + 1).fill(-1);
  best[0] = 0;
  for (let s = 0; s < full; s++) {
    if (best[s] === Number.POSITIVE_INFINITY) continue;
    const size = stateSize(s);
    for (let k = d - 1; k >= 0; k--) {
      if (has(s, k)) continue;
      const closed = [k, (k + 1) % d].filter((t, i, ts) => ts.indexOf(t) === i && !open(s, t));
      const cost = best[s] + size * outModes[k] * product(closed.map((t) => ranks[t]));
      const next = s | (1 << k);
      if (cost < best[next]) [best[next], choice[next]] = [cost, k];
    }
  }
  const order: number[] = [];
  for (let s = full; s !== 0; s &= ~(1 << choice[s])) order.unshift(choice[s]);
  return order;
}

/** The steps of contracting the input with the cores in `order` (a permutation of the cores). */
export function trLinearPlan(
  outModes: readonly number[],
  inModes: readonly number[],
  ranks: readonly number[],
  order: readonly number[],
): TrLinearPlan {
  const d = outModes.length;
  const size = (a: Axis) => {
    const k = Number(a.slice(1));
    return a[0] === 'n' ? inModes[k] : a[0] === 'm' ? outModes[k] : ranks[k];
  };
  let labels: Axis[] = inModes.map((_, k): Axis => `n${k}`);
  const steps = order.map((k): TrLinearStep => {
    const [left, right]: Axis[] = [`r${k}`, `r${(k + 1) % d}`];
    // The core's own axes, and which of its bonds the state already holds open.
    const coreAxes: Axis[] = [left, `m${k}`, `n${k}`, right];
    const isOpen = (a: Axis) => labels.includes(a);
    const contracted: Axis[] = [
      `n${k}`,
      ...[right, left].filter((a, i, as) => as.indexOf(a) === i && isOpen(a)),
    ];
    const produced = ([left, `m${k}`, right] as Axis[]).filter(
      (a, i, as) => as.indexOf(a) === i && !contracted.includes(a),
    );
    const kept = labels.filter((a) => !contracted.includes(a));
    const arrange = [...kept, ...contracted].map((a) => labels.indexOf(a));
    const macs = product(labels.map(size)) * product(produced.map(size));
    // For d = 2 both bonds join the same two cores: a core's axes are then still distinct labels.
    const weightPerm = [...produced, ...contracted].map((a) => coreAxes.indexOf(a));
    labels = [...kept, ...produced];
    return {
      core: k,
      arrange,
      inFeatures: product(contracted.map(size)),
      outFeatures: product(produced.map(size)),
      weightPerm,
      after: labels.map(size),
      macs,
    };
  });
  const finalPerm = outModes.map((_, k) => labels.indexOf(`m${k}`));
  return { order: [...order], steps, finalPerm, macs: steps.reduce((s, st) => s + st.macs, 0) };
}
