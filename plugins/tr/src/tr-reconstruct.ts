import { linalg } from '@lowrank/core';
import { permuteAxes } from '@lowrank/tt';
import { cheapestOpening } from './ring-opening.js';

/** TR cores: core `k` has shape `[R_k, n_k, R_{k+1}]`, indices mod `d`, so the last core closes on `R_0`. */
export type TrCores = linalg.NdArray[];

/** Throws unless the cores are 3-d and chain around the ring (`R_{k+1}` shared by neighbours, the last closing on the first). */
export function checkTrCores(fn: string, cores: TrCores): void {
  if (cores.length === 0) throw new RangeError(`${fn}: no cores`);
  cores.forEach((c, k) => {
    if (c.shape.length !== 3)
      throw new RangeError(`${fn}: core ${k} has shape [${c.shape}]; expected [R_k, n_k, R_{k+1}]`);
    const next = cores[(k + 1) % cores.length];
    if (c.shape[2] !== next.shape[0]) {
      throw new RangeError(
        `${fn}: core ${k} [${c.shape}] does not chain with core ${(k + 1) % cores.length} [${next.shape}]`,
      );
    }
  });
}

/** The ring ranks `[R_0, ..., R_{d-1}]` (`R_k` is the left rank of core `k`). */
export function trRanks(cores: TrCores): number[] {
  return cores.map((c) => c.shape[0]);
}

/**
 * The matrix `(R_k (n_k .. n_{k+m-1})) x R_{k+m}` of the chain of `m` cores from core `k`
 * (cyclically): entry `[(a, i_k..), b]` is `(G_k[:, i_k, :] ... )[a, b]`.
 */
export function chainCores(cores: TrCores, k: number, m: number): linalg.Matrix {
  const d = cores.length;
  const first = cores[k % d];
  let acc = linalg.matrix(first.shape[0] * first.shape[1], first.shape[2], first.data);
  for (let j = 1; j < m; j++) {
    const [r, n, r2] = cores[(k + j) % d].shape;
    const prod = linalg.matmul(acc, linalg.matrix(r, n * r2, cores[(k + j) % d].data));
    acc = linalg.matrix(prod.rows * n, r2, prod.data);
  }
  return acc;
}

/**
 * The full tensor `A[i_1..i_d] = trace(G_1[:, i_1, :] ... G_d[:, i_d, :])`. The ring is opened
 * at its cheapest core `c` (`cheapestOpening`): the chain of cores `c .. c-2`, then one product
 * with core `c-1` that sums over both ring ends, then the modes rotated back.
 */
export function trReconstruct(cores: TrCores): linalg.NdArray {
  checkTrCores('trReconstruct', cores);
  const d = cores.length;
  const modes = cores.map((c) => c.shape[1]);
  if (d === 1) {
    const [r, n] = cores[0].shape;
    const out = new Float64Array(n);
    for (let a = 0; a < r; a++) for (let i = 0; i < n; i++) out[i] += cores[0].data[(a * n + i) * r + a];
    return linalg.ndarray(modes, out);
  }
  const c = cheapestOpening(modes, trRanks(cores));
  const chain = chainCores(cores, c, d - 1); // (R_c N') x R_{c-1}
  const [rOpen, rLast] = [cores[c].shape[0], chain.cols];
  const last = cores[(c + d - 1) % d];
  const rows = permuteAxes(linalg.ndarray([rOpen, chain.rows / rOpen, rLast], chain.data), [1, 2, 0]);
  const closing = permuteAxes(last, [0, 2, 1]);
  const ring = linalg.matmul(
    linalg.matrix(rows.data.length / (rLast * rOpen), rLast * rOpen, rows.data),
    linalg.matrix(rLast * rOpen, last.shape[1], closing.data),
  );
  const rotated = modes.map((_, j) => modes[(c + j) % d]);
  if (c === 0) return linalg.ndarray(modes, ring.data);
  return permuteAxes(
    linalg.ndarray(rotated, ring.data),
    modes.map((_, k) => (k - c + d) % d),
  );
}
