import type { LwiqStatistics } from './lwiq-statistics.js';

/**
 * How a layer's proxy accuracy becomes its score:
 * - `'accuracy'`: the proxy classifier's accuracy on the held-out samples;
 * - `'gain'`: its gain over the previous layer in the given order (the first layer's over
 *   chance, one over the number of imprinted classes), negative gains counted as 0.
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

/** Scores of layers in order (the network's forward order matters for `'gain'`). */
export function layerScores(stats: readonly LwiqStatistics[], kind: LwiqScoreKind): LayerScore[] {
  const accuracies = stats.map((s) => s.accuracy());
  return stats.map((s, l) => {
    const accuracy = accuracies[l];
    if (kind === 'accuracy') {
      return {
        name: s.layer,
        accuracy,
        score: accuracy,
        description: `proxy accuracy ${accuracy.toFixed(4)}`,
      };
    }
    const [baseline, from] =
      l === 0 ? [1 / s.classes.length, 'chance'] : [accuracies[l - 1], `'${stats[l - 1].layer}'`];
    const score = Math.max(0, accuracy - baseline);
    return {
      name: s.layer,
      accuracy,
      score,
      description: `proxy accuracy gain ${score.toFixed(4)} over ${from} (${baseline.toFixed(4)} -> ${accuracy.toFixed(4)})`,
    };
  });
}
