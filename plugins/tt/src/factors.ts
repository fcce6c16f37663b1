import { matmul, reshape, type Tensor, transpose } from '@lowrank/core';
import type { TtLayoutKind } from './layout.js';

/**
 * The factors of a layer decomposed by the `tt` plugin: plain tensors in the weight's dtype.
 * - `matrix` (linear layers): core `k` is `[r_{k-1}, m_k, n_k, r_k]`, `O = prod m_k`, `I = prod n_k`;
 * - `three-core` and `channels` (conv layers): core `k` is `[r_{k-1}, n_k, r_k]` over the modes
 *   `[...outModes, Kh*Kw, ...inModes]` of the kernel as `O x K x I`.
 * `r_0 = r_d = 1`.
 */
export interface TtFactors {
  layout: TtLayoutKind;
  cores: Tensor[];
  outModes: number[];
  inModes: number[];
  /** The weight the factors stand for: `[O, I]` or `[O, I, Kh, Kw]`. */
  weightShape: number[];
}

/** The interior TT ranks `[r_1, ..., r_{d-1}]`. */
export function ttFactorRanks(f: TtFactors): number[] {
  return f.cores.slice(0, -1).map((c) => c.shape[c.rank - 1]);
}

export function disposeTt(f: TtFactors): void {
  for (const c of f.cores) c.dispose();
}

/**
 * The dense weight, by tensor ops (so it runs on any backend and is differentiable in the
 * cores): the chain of cores as one matrix product per core, then the layout's permutation
 * back to the weight's shape.
 */
export function reconstructTt(f: TtFactors): Tensor {
  const engine = f.cores[0].engine;
  return engine.tidy(() => {
    let acc = reshape(f.cores[0], [-1, f.cores[0].shape[f.cores[0].rank - 1]]);
    for (let k = 1; k < f.cores.length; k++) {
      const c = f.cores[k];
      const r2 = c.shape[c.rank - 1];
      acc = reshape(matmul(acc, reshape(c, [c.shape[0], -1])), [-1, r2]);
    }
    if (f.layout === 'matrix') {
      const d = f.outModes.length;
      const pairs = f.outModes.flatMap((m, k) => [m, f.inModes[k]]);
      const perm = [
        ...Array.from({ length: d }, (_, k) => 2 * k),
        ...Array.from({ length: d }, (_, k) => 2 * k + 1),
      ];
      return reshape(transpose(reshape(acc, pairs), perm), f.weightShape);
    }
    const [o, i, kh, kw] = f.weightShape;
    return transpose(reshape(acc, [o, kh, kw, i]), [0, 3, 1, 2]);
  });
}
