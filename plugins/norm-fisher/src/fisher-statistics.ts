import { formatShape, type LayerInfo } from '@lowrank/core';

/** The saved form of `FisherStatistics` (plain JSON; float64 values round-trip exactly). */
export interface FisherStatisticsJson {
  format: 'lowrank-fisher-statistics';
  version: 1;
  layer: LayerInfo;
  /** Gradients accumulated (micro-batches). */
  count: number;
  /** Samples those gradients came from. */
  samples: number;
  /** `sum_m G_m^2`, shaped like the weight, row-major. */
  sumSquares: number[];
}

/**
 * Streaming float64 diagonal empirical Fisher of one layer's weight: the running sum of
 * squared weight gradients `G_m^2` over micro-batches `m` (each `G_m` the gradient of
 * the mean loss of its samples) and their count, so that `F = E[G^2] = sum / count`.
 * Memory is one float64 array the size of the weight, whatever the data.
 */
export class FisherStatistics {
  readonly layer: LayerInfo;
  /** Number of weight entries. */
  readonly size: number;
  private gradients = 0;
  private seen = 0;
  private readonly squares: Float64Array;

  constructor(layer: LayerInfo) {
    this.layer = layer;
    this.size = layer.weightShape.reduce((a, b) => a * b, 1);
    this.squares = new Float64Array(this.size);
  }

  /** Micro-batch gradients accumulated so far. */
  get count(): number {
    return this.gradients;
  }

  /** Samples those gradients came from. */
  get samples(): number {
    return this.seen;
  }

  /**
   * Adds one micro-batch: `gradient` is the weight gradient (row-major, weight-shaped) of
   * the summed loss of its `samples` samples; `G` is that over `samples` (the gradient of
   * their mean loss), divided here in float64.
   */
  addGradient(gradient: ArrayLike<number>, samples = 1): void {
    if (!Number.isInteger(samples) || samples < 1) {
      throw new RangeError(
        `fisher: a micro-batch of '${this.layer.name}' must have at least one sample, got ${samples}`,
      );
    }
    if (gradient.length !== this.size) {
      throw new RangeError(
        `fisher: a gradient of ${gradient.length} values does not fit '${this.layer.name}', whose weight ${formatShape(this.layer.weightShape)} has ${this.size}`,
      );
    }
    const scale = 1 / samples;
    for (let i = 0; i < this.size; i++) {
      const g = gradient[i] * scale;
      this.squares[i] += g * g;
    }
    this.gradients++;
    this.seen += samples;
  }

  /** `F = E[G^2]`, weight-shaped, row-major. */
  fisher(): Float64Array {
    if (this.gradients === 0) {
      throw new Error(
        `fisher: no gradient of '${this.layer.name}' was seen, so its Fisher is undefined; run labelled calibration data through the model with the collector attached (calibrate(...))`,
      );
    }
    return this.squares.map((v) => v / this.gradients);
  }

  toJSON(): FisherStatisticsJson {
    return {
      format: 'lowrank-fisher-statistics',
      version: 1,
      layer: this.layer,
      count: this.gradients,
      samples: this.seen,
      sumSquares: Array.from(this.squares),
    };
  }

  /** Statistics saved with `toJSON` (e.g. computed once, reused for several decompositions). */
  static fromJSON(json: FisherStatisticsJson): FisherStatistics {
    if (json?.format !== 'lowrank-fisher-statistics' || json.version !== 1) {
      throw new TypeError(
        'fisher: not saved Fisher statistics (expected format lowrank-fisher-statistics, version 1)',
      );
    }
    const stats = new FisherStatistics(json.layer);
    if (json.sumSquares.length !== stats.size || !(json.count >= 0) || !(json.samples >= 0)) {
      throw new RangeError(
        `fisher: saved statistics of '${json.layer.name}' hold ${json.sumSquares.length} values (count ${json.count}); its weight ${formatShape(json.layer.weightShape)} needs ${stats.size}`,
      );
    }
    stats.squares.set(json.sumSquares);
    stats.gradients = json.count;
    stats.seen = json.samples;
    return stats;
  }
}
