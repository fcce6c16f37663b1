import { formatShape, type LayerInfo, linalg, type Tensor } from '@lowrank/core';
import { convPatches, patchLength, positionsPerSample } from './patches.js';

/** The saved form of `SigmaStatistics` (plain JSON; float64 values round-trip exactly). */
export interface SigmaStatisticsJson {
  format: 'lowrank-sigma-statistics';
  version: 1;
  layer: LayerInfo;
  count: number;
  /** `sum x_p`, length P. */
  sum: number[];
  /** `sum x_p x_p^T`, P x P row-major. */
  moment: number[];
}

/** Patch rows per block: bounds the scratch memory of one `add` to `ROWS x P` doubles. */
const ROWS = 2048;

/**
 * Streaming, one-pass float64 statistics of a layer's input patches: the count, `sum
 * x_p` and `sum x_p x_p^T` over every im2col patch `x_p` (the layer's padding, stride
 * and dilation; `(c, kh, kw)` row-major, `P = I*Kh*Kw`) of every input seen; for a
 * linear layer `x_p` is each input row (`P = I`). Memory is `P x P` whatever the data.
 */
export class SigmaStatistics {
  readonly layer: LayerInfo;
  /** Patch length `P`. */
  readonly size: number;
  private patches = 0;
  private readonly total: Float64Array;
  private readonly moment: Float64Array;

  constructor(layer: LayerInfo) {
    if (layer.groups !== 1) {
      throw new Error(
        `sigma: '${layer.name}' is a grouped convolution (groups = ${layer.groups}); its input patches do not form one P x P moment. Leave it out of the calibrated layers`,
      );
    }
    this.layer = layer;
    this.size = patchLength(layer);
    this.total = new Float64Array(this.size);
    this.moment = new Float64Array(this.size * this.size);
  }

  /** Patches seen so far. */
  get count(): number {
    return this.patches;
  }

  /**
   * Adds one input of the layer (`[N, I, H, W]` for conv, `[..., I]` for linear). Reads
   * it synchronously (`dataSync`), so calibration runs on the CPU backend.
   */
  add(input: Tensor): void {
    this.addData(input.dataSync(), input.shape);
  }

  /** `add` on raw row-major data of the given shape. */
  addData(data: ArrayLike<number>, shape: readonly number[]): void {
    const p = this.size;
    const { name, kind, inChannels } = this.layer;
    if (kind === 'linear') {
      if (shape.length < 1 || shape[shape.length - 1] !== inChannels) {
        throw new RangeError(
          `sigma: '${name}' expects inputs [..., ${inChannels}], got ${formatShape(shape)}`,
        );
      }
      const rows = data.length / p;
      for (let r0 = 0; r0 < rows; r0 += ROWS) {
        const n = Math.min(ROWS, rows - r0);
        this.accumulate(
          Float64Array.from({ length: n * p }, (_, i) => data[r0 * p + i]),
          n,
        );
      }
      return;
    }
    if (shape.length !== 4 || shape[1] !== inChannels) {
      throw new RangeError(
        `sigma: '${name}' expects inputs [N, ${inChannels}, H, W], got ${formatShape(shape)}`,
      );
    }
    const perSample = positionsPerSample(this.layer, shape[2], shape[3]);
    const samplesPerBlock = Math.max(1, Math.floor(ROWS / perSample));
    const block = new Float64Array(samplesPerBlock * perSample * p);
    for (let s0 = 0; s0 < shape[0]; s0 += samplesPerBlock) {
      const n = Math.min(samplesPerBlock, shape[0] - s0);
      const rows = convPatches(this.layer, data, shape, s0, n, block);
      this.accumulate(block, rows);
    }
  }

  /** Adds the first `rows` rows of `x` (`rows x P`): count, column sums and `X^T X`. */
  private accumulate(x: Float64Array, rows: number): void {
    const p = this.size;
    if (rows === 0) return;
    const m = linalg.matrix(rows, p, x.subarray(0, rows * p));
    const gram = linalg.gram(m).data;
    for (let i = 0; i < p * p; i++) this.moment[i] += gram[i];
    for (let r = 0; r < rows; r++) for (let j = 0; j < p; j++) this.total[j] += x[r * p + j];
    this.patches += rows;
  }

  private checkNonEmpty(what: string): void {
    if (this.patches === 0) {
      throw new Error(
        `sigma: no input of '${this.layer.name}' was seen, so its ${what} is undefined; run calibration data through the model with the collector attached`,
      );
    }
  }

  /** The uncentred second moment `Sigma = E[x_p x_p^T]` (`P x P`). */
  sigma(): linalg.Matrix {
    this.checkNonEmpty('Sigma');
    return linalg.matrix(
      this.size,
      this.size,
      this.moment.map((v) => v / this.patches),
    );
  }

  /** The mean patch `E[x_p]` (length P). */
  mean(): Float64Array {
    this.checkNonEmpty('mean');
    return this.total.map((v) => v / this.patches);
  }

  /** The centred covariance `E[x_p x_p^T] - mu mu^T`. */
  covariance(): linalg.Matrix {
    const s = this.sigma();
    const mu = this.mean();
    const p = this.size;
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) s.data[i * p + j] -= mu[i] * mu[j];
    return s;
  }

  toJSON(): SigmaStatisticsJson {
    return {
      format: 'lowrank-sigma-statistics',
      version: 1,
      layer: this.layer,
      count: this.patches,
      sum: Array.from(this.total),
      moment: Array.from(this.moment),
    };
  }

  /** Statistics saved with `toJSON` (e.g. computed on another data set). */
  static fromJSON(json: SigmaStatisticsJson): SigmaStatistics {
    if (json?.format !== 'lowrank-sigma-statistics' || json.version !== 1) {
      throw new TypeError(
        'sigma: not saved Sigma statistics (expected format lowrank-sigma-statistics, version 1)',
      );
    }
    const stats = new SigmaStatistics(json.layer);
    const p = stats.size;
    if (json.sum.length !== p || json.moment.length !== p * p || !(json.count >= 0)) {
      throw new RangeError(
        `sigma: saved statistics of '${json.layer.name}' hold ${json.sum.length} sums and ${json.moment.length} moments; P = ${p} needs ${p} and ${p * p}`,
      );
    }
    stats.total.set(json.sum);
    stats.moment.set(json.moment);
    stats.patches = json.count;
    return stats;
  }
}
