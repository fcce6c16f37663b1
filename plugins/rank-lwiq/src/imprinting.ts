/**
 * Weight imprinting (Qi et al., 2018) in closed form: a class's weight is the
 * L2-normalised mean of the L2-normalised embeddings of its samples, and a sample is
 * predicted as the class whose weight has the highest cosine with its embedding.
 */

/** `v / ‖v‖`, or zeros for a zero vector (it has no direction, so it votes for nothing). */
export function unitVector(v: ArrayLike<number>): Float64Array {
  let squares = 0;
  for (let i = 0; i < v.length; i++) squares += v[i] * v[i];
  const length = Math.sqrt(squares);
  const unit = new Float64Array(v.length);
  if (length > 0) for (let i = 0; i < v.length; i++) unit[i] = v[i] / length;
  return unit;
}

/**
 * Imprinted class weights from each class's sum of unit embeddings. The mean and the sum
 * have the same direction, so normalising the sum gives the normalised mean.
 */
export function imprintedWeights(sums: ReadonlyMap<number, Float64Array>): Map<number, Float64Array> {
  const labels = [...sums.keys()].sort((a, b) => a - b);
  return new Map(labels.map((label) => [label, unitVector(sums.get(label) as Float64Array)]));
}

/**
 * The label whose weight has the highest cosine with `embedding` (`weights` are unit
 * vectors, so the dot product with the unit embedding is the cosine). Ties go to the
 * smallest label, so predictions are deterministic; -1 when there is no class.
 */
export function cosinePrediction(
  weights: ReadonlyMap<number, Float64Array>,
  embedding: ArrayLike<number>,
): number {
  const unit = unitVector(embedding);
  let best = -1;
  let bestCosine = Number.NEGATIVE_INFINITY;
  for (const label of [...weights.keys()].sort((a, b) => a - b)) {
    const w = weights.get(label) as Float64Array;
    let cosine = 0;
    for (let i = 0; i < w.length; i++) cosine += w[i] * unit[i];
    if (cosine > bestCosine) {
      best = label;
      bestCosine = cosine;
    }
  }
  return best;
}
