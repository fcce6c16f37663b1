/**
 * A CP model in float64, the form the algorithms work in:
 * `X ~ sum_r lambda_r a^0_r o a^1_r o ... o a^{N-1}_r`, one `I_n x R` factor per mode.
 * With the row-major conventions of ALGORITHMS.md, `X_(0) = A_0 diag(lambda) KR(A_1..A_{N-1})^T`.
 */
import { linalg } from '@lowrank/core';

export interface CpModel {
  /** Column weights, length R. */
  lambda: Float64Array;
  /** `factors[n]` is `I_n x R`. */
  factors: linalg.Matrix[];
}

/** The Hadamard (entrywise) product of `R x R` matrices, skipping index `skip` (-1 skips none). */
export function hadamard(mats: readonly linalg.Matrix[], skip = -1): linalg.Matrix {
  const r = mats[0].rows;
  const out = new Float64Array(r * r).fill(1);
  mats.forEach((m, n) => {
    if (n === skip) return;
    for (let i = 0; i < out.length; i++) out[i] *= m.data[i];
  });
  return { rows: r, cols: r, data: out };
}

/** `‖X̂‖^2 = lambda^T (Hadamard of all Grams) lambda`, from the factors alone. */
export function cpNormSquared(
  cp: CpModel,
  grams: readonly linalg.Matrix[] = cp.factors.map((f) => linalg.gram(f)),
): number {
  const h = hadamard(grams);
  const r = cp.lambda.length;
  let s = 0;
  for (let i = 0; i < r; i++) {
    let row = 0;
    for (let j = 0; j < r; j++) row += h.data[i * r + j] * cp.lambda[j];
    s += cp.lambda[i] * row;
  }
  return Math.max(s, 0);
}

/** `KR(A_1..A_k)`: `(prod I_m) x R`, the last factor's index fastest. */
export function khatriRaoOf(factors: readonly linalg.Matrix[], rank: number): linalg.Matrix {
  return factors.length === 0
    ? { rows: 1, cols: rank, data: new Float64Array(rank).fill(1) }
    : linalg.khatriRao(factors);
}

/** The dense tensor the model represents: `X_(0) = (A_0 diag(lambda)) KR(rest)^T`, one blocked product. */
export function cpToNdArray(cp: CpModel): linalg.NdArray {
  const [first, ...rest] = cp.factors;
  const kr = khatriRaoOf(rest, cp.lambda.length);
  const unfolded = linalg.matmul(linalg.scaleCols(first, cp.lambda), kr, { transB: true });
  return linalg.ndarray(
    cp.factors.map((f) => f.rows),
    unfolded.data,
  );
}

/**
 * Moves every column's norm into `lambda` (in place), leaving unit columns. A zero
 * column stays zero with its weight set to 0, so the represented tensor is unchanged.
 */
export function normalizeInPlace(cp: CpModel): CpModel {
  const r = cp.lambda.length;
  for (const f of cp.factors) {
    for (let j = 0; j < r; j++) {
      const norm = linalg.vecNorm(f.data, j, f.rows, r);
      if (norm > 0) {
        for (let i = 0; i < f.rows; i++) f.data[i * r + j] /= norm;
      }
      cp.lambda[j] *= norm;
    }
  }
  return cp;
}

export function cloneCp(cp: CpModel): CpModel {
  return { lambda: cp.lambda.slice(), factors: cp.factors.map((f) => linalg.clone(f)) };
}
