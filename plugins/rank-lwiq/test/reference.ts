/**
 * Direct, non-streaming computations to compare the package against: written from the
 * definitions (means, norms, cosines) without the package's helpers.
 */

function length(v: readonly number[]): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

function normalised(v: readonly number[]): number[] {
  const n = length(v);
  return n > 0 ? v.map((x) => x / n) : v.map(() => 0);
}

/** Class weight = normalised mean of the normalised embeddings of that class. */
export function referenceWeights(
  embeddings: readonly number[][],
  labels: readonly number[],
): Map<number, number[]> {
  const weights = new Map<number, number[]>();
  for (const label of [...new Set(labels)].sort((a, b) => a - b)) {
    const members = embeddings.filter((_, i) => labels[i] === label).map(normalised);
    const mean = members[0].map((_, j) => members.reduce((s, m) => s + m[j], 0) / members.length);
    weights.set(label, normalised(mean));
  }
  return weights;
}

/** Prediction = the class of highest cosine (first such label ascending on ties). */
export function referencePrediction(weights: Map<number, number[]>, embedding: readonly number[]): number {
  let best = -1;
  let bestCosine = Number.NEGATIVE_INFINITY;
  for (const [label, w] of [...weights].sort((a, b) => a[0] - b[0])) {
    const n = length(embedding) * length(w);
    const cosine = n > 0 ? w.reduce((s, x, j) => s + x * embedding[j], 0) / n : 0;
    if (cosine > bestCosine) {
      best = label;
      bestCosine = cosine;
    }
  }
  return best;
}

/** Imprint on the first `imprint` samples, accuracy on the rest. */
export function referenceAccuracy(embeddings: number[][], labels: number[], imprint: number): number {
  const weights = referenceWeights(embeddings.slice(0, imprint), labels.slice(0, imprint));
  const rest = embeddings.slice(imprint);
  const hits = rest.filter((e, i) => referencePrediction(weights, e) === labels[imprint + i]).length;
  return hits / rest.length;
}
