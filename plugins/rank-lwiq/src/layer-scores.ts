import type { LwiqStatistics } from './lwiq-statistics.js';

/**
 * How a layer's proxy accuracy becomes its score:
 * - `'accuracy'`: the proxy classifier's accuracy on the held-out samples;
 * - `'gain'`: its gain over a second proxy classifier imprinted and evaluated the same way
 *   on the layer's own pooled input (`LwiqStatistics.input`), negative gains counted as 0.
 *   The baseline is the layer's input, not a neighbour in some order, so the score is what
 *   the layer itself adds: in a network with branches a shortcut conv is measured against
 *   the features it is given, not against the parallel conv that happened to run before it.
 */
export type LwiqScoreKind = 'accuracy' | 'gain';

/** One layer's score and where it came from. */
export interface LayerScore {
  name: string;
  /** The layer's proxy classifier accuracy. */
  accuracy: number;
  /** What the allocation multiplies by kappa: non-negative. */
  score: number;
  /** The score in words, for selection reasons. */
  description: string;
}

/** Scores of layers, each from its own statistics only (the order of `stats` does not matter). */
export function layerScores(stats: readonly LwiqStatistics[], kind: LwiqScoreKind): LayerScore[] {
  return stats.map((s) => {
    const accuracy = s.accuracy();
    if (kind === 'accuracy') {
      return {
        name: s.layer,
        accuracy,
        score: accuracy,
        description: `proxy accuracy ${accuracy.toFixed(4)}`,
      };
    }
    if (!s.input) {
      throw new Error(
        `lwiq: score 'gain' needs the proxy accuracy of the input of '${s.layer}', and its statistics have none (saved without input statistics?); collect them again with lwiq().collector(layers), or use score 'accuracy'`,
      );
    }
    const baseline = s.input.accuracy();
    const score = Math.max(0, accuracy - baseline);
    return {
      name: s.layer,
      accuracy,
      score,
      description: `proxy accuracy gain ${score.toFixed(4)} over its input (${baseline.toFixed(4)} -> ${accuracy.toFixed(4)})`,
    };
  });
}
