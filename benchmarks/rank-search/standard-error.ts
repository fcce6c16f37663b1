/** The fraction of ones in a vector of per-image hits. */
export function accuracyOf(hits: Uint8Array): number {
  let sum = 0;
  for (const h of hits) sum += h;
  return sum / hits.length;
}

/** One standard error of an accuracy measured on `hits.length` independent images: `sqrt(p (1 - p) / n)`. */
export function accuracyStandardError(hits: Uint8Array): number {
  const p = accuracyOf(hits);
  return Math.sqrt((p * (1 - p)) / hits.length);
}

/**
 * One standard error of the accuracy difference `a - b` of two models scored on the same
 * images: the sample standard deviation of the per-image differences over `sqrt(n)`.
 * Smaller than the unpaired error when the models get mostly the same images right.
 */
export function pairedStandardError(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`pairedStandardError: ${a.length} hits vs ${b.length}`);
  const n = a.length;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    sum += d;
    sumSquares += d * d;
  }
  const mean = sum / n;
  const variance = (sumSquares - n * mean * mean) / (n - 1);
  return Math.sqrt(Math.max(0, variance) / n);
}
