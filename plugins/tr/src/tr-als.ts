import { linalg, SeededRandom } from '@lowrank/core';
import { permuteAxes } from '@lowrank/tt';
import { subchainGram, subchainProjection } from './subchain.js';
import { checkTrCores, type TrCores, trReconstruct } from './tr-reconstruct.js';

export interface TrAlsOptions {
  /** Starting cores (e.g. from `trSvd`), or seeded random ones (default). */
  init?: TrCores;
  /** Seed of the random start (default 0). */
  seed?: number;
  /** Most sweeps over the cores (default 100). */
  maxIterations?: number;
  /** Stop when a sweep changes the relative error by less than this (default 1e-8). */
  tol?: number;
  /** Called with the relative error of the start (iteration 0) and after each sweep. */
  onIteration?: (iteration: number, relativeError: number) => void;
}

function frobenius(data: Float64Array): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i] * data[i];
  return Math.sqrt(s);
}

/** Random cores of the given ring ranks, scaled so that the ring's norm is near `norm`. */
function randomCores(
  modes: readonly number[],
  ranks: readonly number[],
  norm: number,
  seed: number,
): TrCores {
  const d = modes.length;
  const rng = new SeededRandom(seed);
  const cores = modes.map((n, k) => {
    const shape = [ranks[k], n, ranks[(k + 1) % d]];
    return linalg.ndarray(
      shape,
      Float64Array.from({ length: shape[0] * n * shape[2] }, () => rng.normal()),
    );
  });
  const current = frobenius(trReconstruct(cores).data);
  const scale = current > 0 && norm > 0 ? (norm / current) ** (1 / d) : 1;
  for (const c of cores) for (let i = 0; i < c.data.length; i++) c.data[i] *= scale;
  return cores;
}

/**
 * TR-ALS (Zhao et al. 2016): each core in turn is the least-squares solution against the
 * product of the other cores (the cyclic subchain), `min ‖D_k g - X_k‖` with `D_k` the
 * subchain as `(prod_{j != k} n_j) x (R_k R_{k+1})` and `X_k` the tensor unfolded at mode `k`.
 * The normal equations are built without `D_k` (`subchainGram`, `subchainProjection`) and
 * solved as a proximal step (`linalg.proximalSolve`) so that each update stays a descent step
 * when `D_k` is nearly singular. Each update can only lower the error, so the trace reported
 * after each sweep (the error of the reconstructed ring) does not increase; sweeps stop when
 * it changes by less than `tol`.
 */
export function trAls(x: linalg.NdArray, ranks: readonly number[], options: TrAlsOptions = {}): TrCores {
  const fn = 'trAls';
  const modes = x.shape;
  const d = modes.length;
  if (d < 2) throw new RangeError(`${fn}: a ring needs at least 2 modes, got [${modes}]`);
  if (ranks.length !== d || ranks.some((r) => !Number.isInteger(r) || r < 1)) {
    throw new RangeError(`${fn}: ranks [${ranks}] must be ${d} positive integers`);
  }
  const { maxIterations = 100, tol = 1e-8, seed = 0, onIteration } = options;
  if (!(Number.isInteger(maxIterations) && maxIterations >= 0))
    throw new RangeError(`${fn}: maxIterations = ${maxIterations} must be an integer >= 0`);
  if (!(tol >= 0)) throw new RangeError(`${fn}: tol = ${tol} must be >= 0`);
  const norm = frobenius(x.data);
  let cores: TrCores;
  if (options.init) {
    checkTrCores(fn, options.init);
    const given = options.init.map((c) => c.shape);
    if (given.some((s, k) => s[0] !== ranks[k] || s[1] !== modes[k])) {
      throw new RangeError(
        `${fn}: the starting cores [${given.map((s) => `[${s}]`)}] do not match modes [${modes}] and ranks [${ranks}]`,
      );
    }
    cores = options.init.map((c) => linalg.ndarray(c.shape, c.data.slice()));
  } else {
    cores = randomCores(modes, ranks, norm, seed);
  }
  // The tensor with its modes in the cyclic order k, k+1, .., k-1, for each k.
  const rotations = modes.map((_, k) =>
    k === 0
      ? x.data
      : permuteAxes(
          x,
          modes.map((__, j) => (k + j) % d),
        ).data,
  );
  const scale = norm > 0 ? norm : 1;
  const errorOf = () => {
    const approx = trReconstruct(cores).data;
    let s = 0;
    for (let i = 0; i < approx.length; i++) s += (approx[i] - x.data[i]) ** 2;
    return Math.sqrt(s) / scale;
  };
  let error = errorOf();
  onIteration?.(0, error);
  for (let it = 1; it <= maxIterations; it++) {
    for (let k = 0; k < d; k++) updateCore(cores, k, rotations[k]);
    const next = errorOf();
    onIteration?.(it, next);
    const change = Math.abs(error - next);
    error = next;
    if (change < tol) break;
  }
  return cores;
}

/** Core `k` as the least-squares fit against the subchain of the others (in place). */
function updateCore(cores: TrCores, k: number, xk: Float64Array): void {
  const [rk, nk, rk1] = cores[k].shape;
  // The unknowns as [(a, b), i] for core [a, i, b].
  const current = permuteAxes(cores[k], [0, 2, 1]);
  // A proximal step, not a bare least-squares solve: a rank-1 bond makes the system nearly
  // singular, and the minimum-norm solution's huge entries would lose the residual to rounding.
  const g = linalg.proximalSolve(
    subchainGram(cores, k),
    subchainProjection(cores, k, xk),
    linalg.matrix(rk * rk1, nk, current.data),
  );
  cores[k] = permuteAxes(linalg.ndarray([rk, rk1, nk], g.data), [0, 2, 1]);
}
