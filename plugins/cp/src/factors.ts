import { type Engine, linalg, matmul, mul, reshape, type Tensor } from '@lowrank/core';
import type { CpModel } from './cp-model.js';

/**
 * A CP decomposition of a layer's weight, in the weight's dtype:
 * `W = sum_r lambda_r a_r o b_r o c_r o d_r`.
 */
export interface CpFactors {
  /** Column weights `lambda`, `[R]` (non-negative, the factors' columns have unit norm). */
  lambda: Tensor;
  /**
   * One `I_n x R` matrix per mode of the weight: `[A (O x R), B (I x R), C (Kh x R),
   * D (Kw x R)]` for a conv kernel `O x I x Kh x Kw`, `[A (O x R), B (I x R)]` for a
   * linear weight `O x I`.
   */
  factors: Tensor[];
}

/** The dense weight `X_(0) = A diag(lambda) KR(B, C, ...)^T`, with the tensor ops (any backend, autodiff). */
export function reconstructWeight(f: CpFactors): Tensor {
  const engine = f.lambda.engine;
  const rank = f.lambda.shape[0];
  const shape = f.factors.map((t) => t.shape[0]);
  return engine.tidy(() => {
    // KR of modes 1..N-1, built from the last mode backwards so its index runs fastest.
    let kr = f.factors[f.factors.length - 1];
    for (let n = f.factors.length - 2; n >= 1; n--) {
      const rows = kr.shape[0];
      kr = reshape(mul(reshape(f.factors[n], [shape[n], 1, rank]), reshape(kr, [1, rows, rank])), [
        shape[n] * rows,
        rank,
      ]);
    }
    return reshape(matmul(mul(f.factors[0], f.lambda), kr, { transB: true }), shape);
  });
}

/** Frees the factor tensors. */
export function disposeCp(f: CpFactors): void {
  for (const t of [f.lambda, ...f.factors]) t.dispose();
}

/** The float64 model as tensors of `dtype`. */
export function toFactors(engine: Engine, cp: CpModel, dtype: 'float32' | 'float64'): CpFactors {
  return {
    lambda: engine.keep(
      engine.fromData(dtype === 'float64' ? cp.lambda.slice() : Float32Array.from(cp.lambda), [
        cp.lambda.length,
      ]),
    ),
    factors: cp.factors.map((m) => engine.keep(linalg.fromMatrix(engine, m, dtype))),
  };
}
