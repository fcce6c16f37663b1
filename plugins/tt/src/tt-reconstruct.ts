import { linalg } from '@lowrank/core';
import type { TtCores } from './tt-svd.js';

/** Throws unless the cores are 3-d, chain (`r_k` shared by neighbours) and close with `r_0 = r_d = 1`. */
export function checkTtCores(fn: string, cores: TtCores): void {
  if (cores.length === 0) throw new RangeError(`${fn}: no cores`);
  cores.forEach((c, k) => {
    if (c.shape.length !== 3)
      throw new RangeError(`${fn}: core ${k} has shape [${c.shape}]; expected [r_{k-1}, n_k, r_k]`);
    if (k > 0 && c.shape[0] !== cores[k - 1].shape[2]) {
      throw new RangeError(
        `${fn}: core ${k} [${c.shape}] does not chain with core ${k - 1} [${cores[k - 1].shape}]`,
      );
    }
  });
  if (cores[0].shape[0] !== 1 || cores[cores.length - 1].shape[2] !== 1) {
    throw new RangeError(
      `${fn}: the boundary ranks are ${cores[0].shape[0]} and ${cores[cores.length - 1].shape[2]}; a TT has 1 and 1`,
    );
  }
}

/** The interior ranks `[r_1, ..., r_{d-1}]` of TT cores. */
export function ttRanks(cores: TtCores): number[] {
  return cores.slice(0, -1).map((c) => c.shape[2]);
}

/** The full tensor `A[i_1..i_d] = G_1[:, i_1, :] ... G_d[:, i_d, :]`, one matrix product per core. */
export function ttReconstruct(cores: TtCores): linalg.NdArray {
  checkTtCores('ttReconstruct', cores);
  const first = cores[0];
  // acc is (n_1 ... n_k) x r_k, row-major; times core k+1 as r_k x (n_{k+1} r_{k+1}) it is (n_1 ... n_{k+1}) x r_{k+1}.
  let acc = linalg.matrix(first.shape[1], first.shape[2], first.data);
  for (let k = 1; k < cores.length; k++) {
    const [r, n, r2] = cores[k].shape;
    const prod = linalg.matmul(acc, linalg.matrix(r, n * r2, cores[k].data));
    acc = linalg.matrix(prod.rows * n, r2, prod.data);
  }
  return linalg.ndarray(
    cores.map((c) => c.shape[1]),
    acc.data,
  );
}
