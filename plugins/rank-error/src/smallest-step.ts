import type { ErrorAt } from './layer-errors.js';

/** Where a layer stops on its rank path for a threshold, and the error there. */
export interface PathStop {
  step: number;
  error: number;
  /** False when even the last step (the rank bounds) has an error above the threshold. */
  reached: boolean;
}

/**
 * The smallest step of `path` whose error is at most `threshold`, by bisection over the
 * steps (errors are taken to fall along the path, as they do for optimal truncations;
 * whatever the errors, a reached stop always has `error <= threshold`). The probes depend
 * only on the threshold, so the same threshold always gives the same stop.
 */
export async function smallestStep(
  path: readonly number[][],
  errorAt: ErrorAt,
  threshold: number,
): Promise<PathStop> {
  let [lo, hi] = [0, path.length - 1];
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await errorAt(path[mid])) <= threshold) hi = mid;
    else lo = mid + 1;
  }
  const error = await errorAt(path[lo]);
  return { step: lo, error, reached: error <= threshold };
}
