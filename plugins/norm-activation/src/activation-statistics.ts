import { formatShape, type LayerInfo } from '@lowrank/core';

/** The saved form of `ActivationStatistics` (plain JSON; float64 values round-trip exactly). */
export interface ActivationStatisticsJson {
  format: 'lowrank-activation-statistics';
  version: 1;
  layer: LayerInfo;
  /** Output values seen per channel (samples times positions). */
  count: number;
  /** `sum |y_o|` per output channel. */
  sumAbs: number[];
}

/**
 * Streaming float64 mean absolute activation of each output channel of one layer:
 * `a_o = E|y_o|` over every sample and output position of the calibration data.
 * Memory is one number per channel.
 */
export class ActivationStatistics {
  readonly layer: LayerInfo;
  private values = 0;
  private readonly sums: Float64Array;

  constructor(layer: LayerInfo) {
    this.layer = layer;
    this.sums = new Float64Array(layer.outChannels);
  }

  /** Output values seen per channel so far. */
  get count(): number {
    return this.values;
  }

  /** Adds per-channel sums of `|y_o|` over `count` values of each channel. */
  addSums(sumAbs: ArrayLike<number>, count: number): void {
    if (sumAbs.length !== this.sums.length) {
      throw new RangeError(
        `activation: ${sumAbs.length} channel sums do not fit '${this.layer.name}', which has ${this.sums.length} output channels`,
      );
    }
    for (let o = 0; o < this.sums.length; o++) this.sums[o] += sumAbs[o];
    this.values += count;
  }

  /**
   * Adds one output of the layer, `[N, O, H, W]` (conv) or `[..., O]` (linear), as raw
   * row-major data.
   */
  addData(data: ArrayLike<number>, shape: readonly number[]): void {
    checkOutputShape(this.layer, shape);
    const o = this.sums.length;
    const conv = this.layer.kind === 'conv2d';
    const inner = conv ? shape[2] * shape[3] : 1;
    const sums = new Float64Array(o);
    for (let i = 0; i < data.length; i++) sums[Math.floor(i / inner) % o] += Math.abs(data[i]);
    this.addSums(sums, data.length / o);
  }

  /** `E|y_o|` per output channel. */
  meanAbs(): Float64Array {
    if (this.values === 0) {
      throw new Error(
        `activation: no output of '${this.layer.name}' was seen; run calibration data through the model with the collector attached`,
      );
    }
    return this.sums.map((s) => s / this.values);
  }

  toJSON(): ActivationStatisticsJson {
    return {
      format: 'lowrank-activation-statistics',
      version: 1,
      layer: this.layer,
      count: this.values,
      sumAbs: Array.from(this.sums),
    };
  }

  /** Statistics saved with `toJSON`. */
  static fromJSON(json: ActivationStatisticsJson): ActivationStatistics {
    if (json?.format !== 'lowrank-activation-statistics' || json.version !== 1) {
      throw new TypeError(
        'activation: not saved activation statistics (expected format lowrank-activation-statistics, version 1)',
      );
    }
    const stats = new ActivationStatistics(json.layer);
    if (json.sumAbs.length !== stats.sums.length || !(json.count >= 0)) {
      throw new RangeError(
        `activation: saved statistics of '${json.layer.name}' hold ${json.sumAbs.length} channel sums; it has ${stats.sums.length} output channels`,
      );
    }
    stats.sums.set(json.sumAbs);
    stats.values = json.count;
    return stats;
  }
}

/** Throws unless `shape` is an output of the layer: `[N, O, H, W]` (conv) or `[..., O]` (linear). */
export function checkOutputShape(layer: LayerInfo, shape: readonly number[]): void {
  const o = layer.outChannels;
  const conv = layer.kind === 'conv2d';
  if (conv ? shape.length !== 4 || shape[1] !== o : shape.length < 1 || shape[shape.length - 1] !== o) {
    throw new RangeError(
      `activation: '${layer.name}' should output ${conv ? `[N, ${o}, H, W]` : `[..., ${o}]`}, got ${formatShape(shape)}`,
    );
  }
}
