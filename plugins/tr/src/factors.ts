import { matmul, reshape, type Tensor, transpose } from '@lowrank/core';
import type { TrLayoutKind } from './layout.js';
import { cheapestOpening } from './ring-opening.js';

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
 * The dense weight, by tensor ops (any backend, differentiable in the cores). The ring is
 * opened at its cheapest core `c` (see `cheapestOpening`): cores `c .. c-2` are chained by one
 * matrix product each into `[R_c, N', R_{c-1}]`, and one more product with core `c-1` closes
 * the trace over both ring ends at once, giving the tensor in the rotated mode order; one
 * transpose puts the modes in the weight's order.
 */
export function reconstructTr(f: TrFactors): Tensor {
  const engine = f.cores[0].engine;
  return engine.tidy(() => {
    const d = f.cores.length;
    const ranks = trFactorRanks(f);
    const modes = f.cores.map((c) => c.size / (c.shape[0] * c.shape[c.rank - 1]));
    const c = cheapestOpening(modes, ranks);
    const at = (j: number) => f.cores[(c + j) % d];
    const right = (t: Tensor) => t.shape[t.rank - 1];
    let acc = reshape(at(0), [-1, right(at(0))]);
    for (let j = 1; j < d - 1; j++) {
      const core = at(j);
      acc = reshape(matmul(acc, reshape(core, [core.shape[0], -1])), [-1, right(core)]);
    }
    // acc[a, N', b] with a = R_c and b = R_{c-1}; the last core [b, n, a]: sum over (b, a).
    const last = at(d - 1);
    const [rLast, rOpen] = [last.shape[0], ranks[c]];
    const rows = transpose(reshape(acc, [rOpen, -1, rLast]), [1, 2, 0]);
    const closing = transpose(reshape(last, [rLast, -1, rOpen]), [0, 2, 1]);
    const ring = matmul(reshape(rows, [-1, rLast * rOpen]), reshape(closing, [rLast * rOpen, -1]));
    // Each core's sub-axes, and the weight's axes as (core, sub-axis) pairs.
    const { sub, target } = weightAxes(f);
    const rotated = Array.from({ length: d }, (_, j) => (c + j) % d);
    const position = new Map<string, number>();
    let p = 0;
    for (const k of rotated) for (let s = 0; s < sub[k].length; s++) position.set(`${k}:${s}`, p++);
    const perm = target.map(([k, s]) => position.get(`${k}:${s}`) as number);
    return transpose(
      reshape(
        ring,
        rotated.flatMap((k) => sub[k]),
      ),
      perm,
    ).reshape(f.weightShape);
  });
}

/** The sizes of each core's mode as the weight's axes, and the weight's axes in order. */
function weightAxes(f: TrFactors): { sub: number[][]; target: [number, number][] } {
  if (f.layout === 'matrix') {
    const d = f.outModes.length;
    return {
      sub: f.outModes.map((m, k) => [m, f.inModes[k]]),
      target: [
        ...Array.from({ length: d }, (_, k): [number, number] => [k, 0]),
        ...Array.from({ length: d }, (_, k): [number, number] => [k, 1]),
      ],
    };
  }
  const [o, i, kh, kw] = f.weightShape;
  return {
    sub: [[o], [kh, kw], [i]],
    target: [
      [0, 0],
      [2, 0],
      [1, 0],
      [1, 1],
    ],
  };
}
