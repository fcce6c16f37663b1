import { type Engine, einsum, reshape, type Tensor } from '@lowrank/core';

/**
 * A Tucker2 decomposition of a layer's weight over its two channel modes (Kim et al.
 * 2016): `W ~ G x1 U x2 V`, i.e. `W[o, i, kh, kw] = sum_{a,b} U[o, a] G[a, b, kh, kw] V[i, b]`.
 * `U` and `V` have orthonormal columns; the spatial modes stay in the core.
 */
export interface Tucker2Factors {
  /** `R1 x R2 x Kh x Kw` (`R1 x R2` for a linear layer). */
  core: Tensor;
  /** `O x R1`, orthonormal columns (the output-channel factor). */
  u: Tensor;
  /** `I x R2`, orthonormal columns (the input-channel factor). */
  v: Tensor;
  /** The weight's shape (`[O, I]` or `[O, I, Kh, Kw]`), which `reconstruct` returns. */
  weightShape: readonly number[];
}

/** `[R1, R2]` of the factors. */
export function tucker2Ranks(factors: Tucker2Factors): [number, number] {
  return [factors.u.shape[1], factors.v.shape[1]];
}

/** `G x1 U x2 V`, in the weight's shape. */
export function reconstructTucker2(engine: Engine, factors: Tucker2Factors): Tensor {
  const [r1, r2] = tucker2Ranks(factors);
  return engine.tidy(() => {
    const core = reshape(factors.core, [r1, r2, -1]);
    return reshape(einsum('abk,oa,ib->oik', core, factors.u, factors.v), factors.weightShape);
  });
}

/** Frees the factor tensors. */
export function disposeTucker2(factors: Tucker2Factors): void {
  for (const t of [factors.core, factors.u, factors.v]) t.dispose();
}
