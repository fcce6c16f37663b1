import { matmul, mul, reshape, sum, type Tensor, transpose } from '@lowrank/core';
import type { TrLayoutKind } from './layout.js';

/**
 * The factors of a layer decomposed by the `tr` plugin: plain tensors in the weight's dtype.
 * - `matrix` (linear layers): core `k` is `[R_k, m_k, n_k, R_{k+1}]`, `O = prod m_k`, `I = prod n_k`;
 * - `conv`: cores `[R_0, O, R_1]`, `[R_1, Kh*Kw, R_2]`, `[R_2, I, R_0]` of the kernel as `O x K x I`.
 * Indices are cyclic: the last core closes on `R_0`.
 */
export interface TrFactors {
  layout: TrLayoutKind;
  cores: Tensor[];
  outModes: number[];
  inModes: number[];
  /** The weight the factors stand for: `[O, I]` or `[O, I, Kh, Kw]`. */
  weightShape: number[];
}

/** The ring ranks `[R_0, ..., R_{d-1}]` (`R_k` the left rank of core `k`). */
export function trFactorRanks(f: TrFactors): number[] {
  return f.cores.map((c) => c.shape[0]);
}

export function disposeTr(f: TrFactors): void {
  for (const c of f.cores) c.dispose();
}

/**
 * The dense weight, by tensor ops (any backend, differentiable in the cores): the chain of
 * cores as one matrix product per core, the ring closed by a trace, then the layout's
 * permutation back to the weight's shape.
 */
export function reconstructTr(f: TrFactors): Tensor {
  const engine = f.cores[0].engine;
  return engine.tidy(() => {
    const r0 = f.cores[0].shape[0];
    const last = (c: Tensor) => c.shape[c.rank - 1];
    let acc = reshape(f.cores[0], [-1, last(f.cores[0])]);
    for (let k = 1; k < f.cores.length; k++) {
      const c = f.cores[k];
      acc = reshape(matmul(acc, reshape(c, [c.shape[0], -1])), [-1, last(c)]);
    }
    // acc is [R_0, N, R_0]: the trace over the two ring ends.
    const eye = engine.eye(r0, r0, f.cores[0].dtype).reshape([r0, 1, r0]);
    const ring = sum(mul(reshape(acc, [r0, -1, r0]), eye), [0, 2]);
    if (f.layout === 'matrix') {
      const d = f.outModes.length;
      const pairs = f.outModes.flatMap((m, k) => [m, f.inModes[k]]);
      const perm = [
        ...Array.from({ length: d }, (_, k) => 2 * k),
        ...Array.from({ length: d }, (_, k) => 2 * k + 1),
      ];
      return reshape(transpose(reshape(ring, pairs), perm), f.weightShape);
    }
    const [o, i, kh, kw] = f.weightShape;
    return transpose(reshape(ring, [o, kh, kw, i]), [0, 3, 1, 2]);
  });
}
