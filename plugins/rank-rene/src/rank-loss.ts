import { add, mul, pow, sum, type Tensor } from '@lowrank/core';

/** One layer's term of the rank loss: its candidate probabilities and scalar ranks. */
export interface RankLossTerm {
  /** `softmax(logits)` over the layer's candidates. */
  probabilities: Tensor;
  /** The candidates' scalar ranks, in the order of `probabilities`. */
  ranks: readonly number[];
  /** `max R_i`: the largest scalar rank of the layer's search space. */
  maxRank: number;
}

/**
 * RENE's rank loss `L_r = gamma * sum_i (sum_r p_i^r * r / max R_i)^beta`: the expected
 * relative rank of every layer, raised to `beta` and summed. Differentiable in the `p`s.
 */
export function rankLoss(terms: readonly RankLossTerm[], gamma: number, beta: number): Tensor {
  if (terms.length === 0) throw new Error('rank-rene: the rank loss needs at least one layer');
  const engine = terms[0].probabilities.engine;
  return engine.tidy(() => {
    let total: Tensor | null = null;
    for (const { probabilities, ranks, maxRank } of terms) {
      const relative = engine.tensor(
        ranks.map((r) => r / maxRank),
        [ranks.length],
        probabilities.dtype,
      );
      const expected = pow(sum(mul(probabilities, relative)), beta);
      total = total === null ? expected : add(total, expected);
    }
    return mul(total as Tensor, gamma);
  });
}
