import { cosinePrediction, imprintedWeights, unitVector } from './imprinting.js';

/** The saved form of `LwiqStatistics` (plain JSON; float64 sums round-trip exactly). */
export interface LwiqStatisticsJson {
  format: 'lowrank-lwiq-statistics';
  version: 1;
  layer: string;
  channels: number;
  imprintSamples: number;
  imprinted: number;
  /** Per class seen while imprinting: its label, sample count and sum of unit embeddings. */
  classes: { label: number; count: number; sum: number[] }[];
  evaluated: number;
  correct: number;
  /**
   * The same statistics of the proxy classifier on the layer's pooled input (what the
   * `'gain'` score measures against). Absent in statistics saved before it was collected:
   * those still give `'accuracy'` scores.
   */
  input?: LwiqStatisticsJson;
}

/**
 * One layer's LWIQ statistics, streaming in one pass over the calibration samples in
 * order: the first `imprintSamples` samples imprint the proxy classifier (per class, the
 * count and the sum of unit embeddings, `classes x C` doubles); every later sample is
 * predicted by the frozen classifier and counted as correct or not. Memory does not grow
 * with the data.
 */
export class LwiqStatistics {
  private imprintedCount = 0;
  private evaluatedCount = 0;
  private correctCount = 0;
  private readonly sums = new Map<number, Float64Array>();
  private readonly counts = new Map<number, number>();
  /** The imprinted weights, fixed once the imprinting samples are all in. */
  private weights: Map<number, Float64Array> | null = null;
  /**
   * Statistics of a second proxy classifier, imprinted and evaluated on the same samples'
   * pooled layer input (`inChannels` long): the baseline of the `'gain'` score. The
   * collector fills it; statistics without it give `'accuracy'` scores only.
   */
  input?: LwiqStatistics;

  constructor(
    /** The layer's name, for messages. */
    readonly layer: string,
    /** Channels `C` of the layer's output: the embedding length. */
    readonly channels: number,
    /** How many samples, first in order, imprint the classifier; the rest evaluate it. */
    readonly imprintSamples: number,
  ) {
    if (!Number.isSafeInteger(channels) || channels < 1) {
      throw new RangeError(`lwiq: '${layer}' needs a positive channel count, got ${channels}`);
    }
    if (!Number.isSafeInteger(imprintSamples) || imprintSamples < 1) {
      throw new RangeError(`lwiq: imprintSamples must be a positive integer, got ${imprintSamples}`);
    }
  }

  get imprinted(): number {
    return this.imprintedCount;
  }
  get evaluated(): number {
    return this.evaluatedCount;
  }
  get correct(): number {
    return this.correctCount;
  }
  /** Labels seen while imprinting, ascending. */
  get classes(): number[] {
    return [...this.sums.keys()].sort((a, b) => a - b);
  }

  /**
   * Adds samples in order: `embeddings` is `N x C` row-major (pooled features), `labels`
   * their N class indices (non-negative integers).
   */
  add(embeddings: ArrayLike<number>, labels: ArrayLike<number>): void {
    const c = this.channels;
    if (embeddings.length !== labels.length * c) {
      throw new RangeError(
        `lwiq: '${this.layer}' got ${embeddings.length / c} embeddings of ${c} channels for ${labels.length} labels; each calibration sample needs one label`,
      );
    }
    for (let i = 0; i < labels.length; i++) {
      if (!isLabel(labels[i])) {
        throw new RangeError(
          `lwiq: '${this.layer}' got label ${labels[i]}; labels must be class indices (non-negative integers)`,
        );
      }
      const embedding = new Float64Array(c);
      for (let j = 0; j < c; j++) embedding[j] = embeddings[i * c + j];
      if (this.imprintedCount < this.imprintSamples) this.imprint(embedding, labels[i]);
      else this.evaluate(embedding, labels[i]);
    }
  }

  private imprint(embedding: Float64Array, label: number): void {
    let sum = this.sums.get(label);
    if (!sum) {
      sum = new Float64Array(this.channels);
      this.sums.set(label, sum);
    }
    const unit = unitVector(embedding);
    for (let j = 0; j < unit.length; j++) sum[j] += unit[j];
    this.counts.set(label, (this.counts.get(label) ?? 0) + 1);
    this.imprintedCount++;
  }

  private evaluate(embedding: Float64Array, label: number): void {
    this.weights ??= imprintedWeights(this.sums);
    if (cosinePrediction(this.weights, embedding) === label) this.correctCount++;
    this.evaluatedCount++;
  }

  /** The imprinted class weights (unit vectors) by label. */
  classWeights(): Map<number, Float64Array> {
    return imprintedWeights(this.sums);
  }

  /** Samples of each class used for imprinting, by label. */
  classCounts(): Map<number, number> {
    return new Map(this.classes.map((label) => [label, this.counts.get(label) as number]));
  }

  /** The proxy classifier's accuracy on the evaluated samples (`correct / evaluated`). */
  accuracy(): number {
    if (this.imprintedCount === 0) {
      throw new Error(
        `lwiq: no calibration sample reached '${this.layer}'; run labelled calibration batches through the model with the collector attached (core's calibrate)`,
      );
    }
    if (this.evaluatedCount === 0) {
      throw new Error(
        `lwiq: no sample of '${this.layer}' was left to evaluate its proxy classifier: all ${this.imprintedCount} calibration samples imprinted it (imprintSamples = ${this.imprintSamples}); calibrate on more samples than imprintSamples or lower imprintSamples`,
      );
    }
    if (this.sums.size < 2) {
      throw new Error(
        `lwiq: the proxy classifier of '${this.layer}' was imprinted with a single class (${this.classes.join(', ')}), so its accuracy says nothing; shuffle the calibration data so the first imprintSamples samples hold every class`,
      );
    }
    return this.correctCount / this.evaluatedCount;
  }

  toJSON(): LwiqStatisticsJson {
    return {
      format: 'lowrank-lwiq-statistics',
      version: 1,
      layer: this.layer,
      channels: this.channels,
      imprintSamples: this.imprintSamples,
      imprinted: this.imprintedCount,
      classes: this.classes.map((label) => ({
        label,
        count: this.counts.get(label) as number,
        sum: Array.from(this.sums.get(label) as Float64Array),
      })),
      evaluated: this.evaluatedCount,
      correct: this.correctCount,
      ...(this.input ? { input: this.input.toJSON() } : {}),
    };
  }

  /** Statistics saved with `toJSON` (e.g. collected once and reused for several budgets). */
  static fromJSON(json: LwiqStatisticsJson): LwiqStatistics {
    if (json?.format !== 'lowrank-lwiq-statistics' || json.version !== 1) {
      throw new TypeError(
        'lwiq: not saved LWIQ statistics (expected format lowrank-lwiq-statistics, version 1)',
      );
    }
    const stats = new LwiqStatistics(json.layer, json.channels, json.imprintSamples);
    const counted = json.classes.reduce((n, c) => n + c.count, 0);
    const valid =
      json.classes.every((c) => c.sum.length === json.channels && isLabel(c.label) && c.count >= 1) &&
      counted === json.imprinted &&
      json.imprinted <= json.imprintSamples &&
      (json.evaluated === 0 || json.imprinted === json.imprintSamples) &&
      Number.isSafeInteger(json.correct) &&
      json.correct >= 0 &&
      json.correct <= json.evaluated;
    if (!valid) {
      throw new RangeError(
        `lwiq: saved statistics of '${json.layer}' are inconsistent: class sums must have ${json.channels} entries, class counts must add up to imprinted (${json.imprinted}) <= imprintSamples (${json.imprintSamples}), samples are evaluated only after imprinting is complete, and 0 <= correct <= evaluated`,
      );
    }
    for (const c of json.classes) {
      stats.sums.set(c.label, Float64Array.from(c.sum));
      stats.counts.set(c.label, c.count);
    }
    stats.imprintedCount = json.imprinted;
    stats.evaluatedCount = json.evaluated;
    stats.correctCount = json.correct;
    if (json.input !== undefined) stats.input = LwiqStatistics.fromJSON(json.input);
    return stats;
  }
}

/** Whether `v` is a class index: a non-negative integer. */
export function isLabel(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}
