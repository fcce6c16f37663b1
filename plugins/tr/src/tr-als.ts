import { linalg, SeededRandom } from '@lowrank/core';
import { permuteAxes } from '@lowrank/tt';
import { chainCores, checkTrCores, type TrCores, trReconstruct } from './tr-reconstruct.js';

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
 * subchain as `(prod_{j != k} n_j) x (R_k R_{k+1})` and `X_k` the tensor unfolded with mode `k`
 * last, solved as a proximal step (`linalg.proximalSolve`) so it stays a descent step when
 * `D_k` is nearly singular. Each update can only lower the error, so the trace reported after each sweep does not
 * increase; sweeps stop when it changes by less than `tol`.
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
  // X_k: the tensor with modes k+1, .., k-1 (cyclically) as rows and mode k as columns.
  const unfoldings = modes.map((n, k) => {
    const order = modes.map((_, j) => (k + 1 + j) % d);
    return linalg.matrix(x.data.length / n, n, permuteAxes(x, order).data);
  });
  const scale = norm > 0 ? norm : 1;
  let error = frobenius(trReconstruct(cores).data.map((v, i) => v - x.data[i])) / scale;
  onIteration?.(0, error);
  for (let it = 1; it <= maxIterations; it++) {
    let residual = 0;
    for (let k = 0; k < d; k++) residual = updateCore(cores, k, unfoldings[k]);
    const next = residual / scale;
    onIteration?.(it, next);
    const change = Math.abs(error - next);
    error = next;
    if (change < tol) break;
  }
  return cores;
}

/** Solves core `k` against the subchain of the others; returns the residual norm. */
function updateCore(cores: TrCores, k: number, xk: linalg.Matrix): number {
  const d = cores.length;
  const [rk, nk, rk1] = cores[k].shape;
  // The chain of cores k+1 .. k-1: (R_{k+1} P) x R_k.
  const chain = chainCores(cores, k + 1, d - 1);
  const p = chain.rows / rk1;
  // D[p, (a, b)] = chain[(b, p), a], so that X_k[p, i] ~ sum_{a,b} D[p, (a, b)] G_k[a, i, b].
  const design = linalg.zeros(p, rk * rk1);
  for (let b = 0; b < rk1; b++) {
    for (let q = 0; q < p; q++) {
      const src = (b * p + q) * rk;
      const dst = q * rk * rk1 + b;
      for (let a = 0; a < rk; a++) design.data[dst + a * rk1] = chain.data[src + a];
    }
  }
  const core = cores[k];
  const current = linalg.zeros(rk * rk1, nk);
  for (let a = 0; a < rk; a++)
    for (let i = 0; i < nk; i++)
      for (let b = 0; b < rk1; b++) current.data[(a * rk1 + b) * nk + i] = core.data[(a * nk + i) * rk1 + b];
  // A proximal step, not a bare least-squares solve: a rank-1 bond makes the design nearly
  // singular, and the minimum-norm solution's huge entries would lose the residual to rounding.
  const g = linalg.proximalSolve(
    linalg.matmul(design, design, { transA: true }),
    linalg.matmul(design, xk, { transA: true }),
    current,
  );
  for (let a = 0; a < rk; a++)
    for (let i = 0; i < nk; i++)
      for (let b = 0; b < rk1; b++) core.data[(a * nk + i) * rk1 + b] = g.data[(a * rk1 + b) * nk + i];
  const fit = linalg.matmul(design, g);
  let s = 0;
  for (let i = 0; i < fit.data.length; i++) s += (fit.data[i] - xk.data[i]) ** 2;
  return Math.sqrt(s);
}
