/**
 * The normal equations of one input mode in CP-ALS-Sigma (ALGORITHMS.md, "Norms"). With
 * `What_mat = A Z^T`, `Z = KR(input factors)` (`P x R`, im2col order) and `Gamma = A^T A`,
 * the objective `‖(W_mat - A Z^T) L‖_F^2` is quadratic in the factor `F` (`I_m x R`) of an
 * input mode `m`: `N vec(F) = rhs` with
 *
 *   N[(i,r),(i',r')] = Gamma[r,r'] sum_{j,j'} Z_-m[j,r] Sigma[(i,j),(i',j')] Z_-m[j',r'],
 *   rhs[(i,r)]       = sum_j (A^T W_mat Sigma)[r,(i,j)] Z_-m[j,r],
 *
 * `Z_-m` the Khatri-Rao product of the other input factors (`J x R`, `J = P / I_m`) and
 * `(i, j)` the im2col column with mode `m`'s index moved first. `vec` is row-major, so
 * `vec(F)[(i,r)] = F[i,r]`.
 *
 * Solved dense (Cholesky of the `(I_m R)^2` matrix) when `I_m R` is at most
 * `DENSE_SOLVE_MAX_UNKNOWNS`, otherwise by preconditioned CG with the matrix-free product
 * `N F = [sum_j Z_-m[j,r] (Sigma Z(F) Gamma)[(i,j),r]]` (`Z(F)` the Khatri-Rao product
 * with `F` in mode `m`), `O(P^2 R + P R^2)` per product.
 *
 * Every solve is the proximal step of `proximal.ts`: a singular `N` (rank-deficient Sigma,
 * collinear factors) cannot blow the factor up, and the objective never rises.
 */
import { linalg } from '@lowrank/core';
import { khatriRaoOf } from './cp-model.js';
import { cgShifts, denseProximalSolve } from './proximal.js';

/** Most unknowns `I_m R` for which `N` is formed and factored (about 0.4 GFLOP at the limit). */
export const DENSE_SOLVE_MAX_UNKNOWNS = 1024;

/** CG's relative residual target, then a looser one if the first is out of reach in float64. */
const CG_TOLERANCES = [1e-10, 1e-6];
const CG_MAX_ITERATIONS = 300;

export type SigmaSolver = 'auto' | 'dense' | 'cg';

/** One input mode's system, assembled from the current factors. */
export interface InputModeSystem {
  /** `I_m`. */
  rows: number;
  rank: number;
  /** `rhs` as an `I_m x R` row-major array. */
  rhs: Float64Array;
  /** `trace(N)`. */
  trace: number;
  /** `out = N f` (no proximal term). */
  apply(f: Float64Array, out: Float64Array): void;
  /** `N` as an `(I_m R) x (I_m R)` matrix. */
  dense(): linalg.Matrix;
  /** `out = M^{-1} v` for the Kronecker preconditioner `M = S_1 (x) H + mu I`. */
  preconditioner(mu: number): linalg.LinearOperator;
}

/**
 * What the systems of one input mode share from sweep to sweep: Sigma with its rows and
 * columns in the mode-first `(i, j)` order, and its partial traces `S_1[i,i'] = sum_j
 * Sigma[(i,j),(i',j)]` (`I_m x I_m`, eigendecomposed once, on first use) and `S_2[j,j'] =
 * sum_i Sigma[(i,j),(i,j')]` (`J x J`). `Sigma ≈ S_1 (x) S_2 / trace(Sigma)` (exact when Sigma
 * is a Kronecker product, e.g. for a linear layer, where `J = 1`) gives the preconditioner.
 */
export interface ModeGeometry {
  /** `I_m`. */
  rows: number;
  /** The im2col columns in mode-first order: `order[i J + j]`. */
  order: Int32Array;
  sigma: linalg.Matrix;
  s2: linalg.Matrix;
  traceSigma: number;
  s1Eigen(): linalg.Eigh;
}

/** The geometry of input mode `mode` (0-based among the input modes, of sizes `sizes`). */
export function modeGeometry(sigma: linalg.Matrix, sizes: readonly number[], mode: number): ModeGeometry {
  const p = sigma.rows;
  const rows = sizes[mode];
  const j = p / rows;
  const order = modeFirstOrder(sizes, mode);
  const s = permuted(sigma, order, order);
  const s1 = linalg.zeros(rows, rows);
  const s2 = linalg.zeros(j, j);
  let traceSigma = 0;
  for (let i = 0; i < rows; i++) {
    for (let i2 = 0; i2 < rows; i2++) {
      let acc = 0;
      for (let jj = 0; jj < j; jj++) acc += s.data[(i * j + jj) * p + i2 * j + jj];
      s1.data[i * rows + i2] = acc;
    }
    traceSigma += s1.data[i * rows + i];
    for (let a = 0; a < j; a++) {
      for (let b = 0; b < j; b++) s2.data[a * j + b] += s.data[(i * j + a) * p + i * j + b];
    }
  }
  let eigen: linalg.Eigh | null = null;
  return {
    rows,
    order,
    sigma: s,
    s2,
    traceSigma,
    s1Eigen: () => {
      eigen ??= linalg.eigh(s1);
      return eigen;
    },
  };
}

/**
 * The system of input mode `mode` (0-based among the input factors) for the current
 * factors. `transformed` is `A^T W_mat Sigma` (`R x P`, im2col order); `gamma` is `A^T A`.
 */
export function inputModeSystem(
  geometry: ModeGeometry,
  transformed: linalg.Matrix,
  gamma: linalg.Matrix,
  inputs: readonly linalg.Matrix[],
  mode: number,
): InputModeSystem {
  const { rows, sigma: s, s2, traceSigma } = geometry;
  const rank = gamma.rows;
  const p = s.rows;
  const j = p / rows;
  const t = permuted(transformed, null, geometry.order);
  const others = khatriRaoOf(
    inputs.filter((_, k) => k !== mode),
    rank,
  );

  const rhs = new Float64Array(rows * rank);
  for (let i = 0; i < rows; i++) {
    for (let jj = 0; jj < j; jj++) {
      const col = i * j + jj;
      for (let r = 0; r < rank; r++) rhs[i * rank + r] += t.data[r * p + col] * others.data[jj * rank + r];
    }
  }

  // N ≈ S_1 (x) H with H = Gamma o (Z_-m^T S_2 Z_-m) / trace(Sigma); the traces agree:
  // trace(N) = trace(S_1) trace(H) = trace(Sigma) trace(H).
  const h = linalg.matmul(others, linalg.matmul(s2, others), { transA: true });
  for (let k = 0; k < h.data.length; k++) h.data[k] *= traceSigma > 0 ? gamma.data[k] / traceSigma : 0;
  let trace = 0;
  for (let r = 0; r < rank; r++) trace += h.data[r * rank + r];
  trace *= traceSigma;

  const zf = new Float64Array(p * rank);
  const y = new Float64Array(p * rank);
  const yg = new Float64Array(p * rank);
  const apply = (f: Float64Array, out: Float64Array): void => {
    for (let i = 0; i < rows; i++) {
      for (let jj = 0; jj < j; jj++) {
        const row = (i * j + jj) * rank;
        for (let r = 0; r < rank; r++) zf[row + r] = f[i * rank + r] * others.data[jj * rank + r];
      }
    }
    linalg.gemm(p, rank, p, 1, s.data, 0, p, zf, 0, rank, 0, y, 0, rank);
    linalg.gemm(p, rank, rank, 1, y, 0, rank, gamma.data, 0, rank, 0, yg, 0, rank);
    out.fill(0);
    for (let i = 0; i < rows; i++) {
      for (let jj = 0; jj < j; jj++) {
        const row = (i * j + jj) * rank;
        for (let r = 0; r < rank; r++) out[i * rank + r] += others.data[jj * rank + r] * yg[row + r];
      }
    }
  };

  const dense = (): linalg.Matrix => {
    const n = rows * rank;
    // Q = Sigma (I (x) Z_-m): Sigma's rows split into (row, i') blocks of J columns, times Z_-m.
    const q = new Float64Array(p * n);
    linalg.gemm(p * rows, rank, j, 1, s.data, 0, j, others.data, 0, rank, 0, q, 0, rank);
    // Row block i of N: Z_-m^T Q[(i, j) rows], then the Hadamard product with Gamma tiled.
    const othersT = linalg.transpose(others);
    const out = linalg.zeros(n, n);
    for (let i = 0; i < rows; i++) {
      linalg.gemm(rank, n, j, 1, othersT.data, 0, j, q, i * j * n, n, 0, out.data, i * rank * n, n);
    }
    for (let a = 0; a < n; a++) {
      const r = a % rank;
      for (let b = 0; b < n; b++) out.data[a * n + b] *= gamma.data[r * rank + (b % rank)];
    }
    return out;
  };

  let hEigen: linalg.Eigh | null = null;
  const preconditioner = (mu: number): linalg.LinearOperator => {
    const e1 = geometry.s1Eigen();
    hEigen ??= linalg.eigh(h);
    const e2 = hEigen;
    const inverse = new Float64Array(rows * rank);
    for (let i = 0; i < rows; i++) {
      for (let r = 0; r < rank; r++)
        inverse[i * rank + r] = 1 / (Math.max(e1.values[i], 0) * Math.max(e2.values[r], 0) + mu);
    }
    return (v, out) => {
      // M^{-1} v = U_1 [(U_1^T V U_2) / (d_1 d_2^T + mu)] U_2^T with V = v as I_m x R.
      const inner = linalg.matmul(
        linalg.matmul(e1.vectors, { rows, cols: rank, data: v }, { transA: true }),
        e2.vectors,
      );
      for (let k = 0; k < inner.data.length; k++) inner.data[k] *= inverse[k];
      out.set(linalg.matmul(linalg.matmul(e1.vectors, inner), e2.vectors, { transB: true }).data);
    };
  };

  return { rows, rank, rhs, trace, apply, dense, preconditioner };
}

/**
 * The proximal solve of a mode's system from the current factor `current` (`I_m x R`
 * row-major): the new factor, or `current` itself when no step lowers the objective
 * (nothing to fit, or a solve that rounding or CG could not bring home).
 */
export function solveInputMode(
  system: InputModeSystem,
  current: Float64Array,
  solver: SigmaSolver = 'auto',
): Float64Array {
  const n = system.rows * system.rank;
  if (!(system.trace > 0)) return current;
  const useDense = solver === 'dense' || (solver === 'auto' && n <= DENSE_SOLVE_MAX_UNKNOWNS);
  const next = useDense
    ? denseProximalSolve(system.dense(), column(system.rhs), column(current))?.data
    : cgSolve(system, current);
  return next && lowersObjective(system, current, next) ? next : current;
}

/** A vector as an `n x 1` matrix (no copy). */
function column(v: Float64Array): linalg.Matrix {
  return { rows: v.length, cols: 1, data: v };
}

/** The proximal step by preconditioned CG, at the first shift of `cgShifts` at which CG converges. */
function cgSolve(system: InputModeSystem, current: Float64Array): Float64Array | null {
  for (const mu of cgShifts(system.trace, current.length)) {
    const b = system.rhs.map((v, k) => v + mu * current[k]);
    const op: linalg.LinearOperator = (x, out) => {
      system.apply(x, out);
      for (let k = 0; k < out.length; k++) out[k] += mu * x[k];
    };
    const preconditioner = system.preconditioner(mu);
    for (const tol of CG_TOLERANCES) {
      try {
        return linalg.cg(op, b, { x0: current, tol, maxIter: CG_MAX_ITERATIONS, preconditioner }).x;
      } catch (e) {
        if (!(e instanceof linalg.LinalgError)) throw e;
      }
    }
  }
  return null;
}

/**
 * Whether `next` does not raise `vec(F)^T N vec(F) - 2 rhs^T vec(F)` above its value at
 * `current`, evaluated in difference form `<D, N (next + current) - 2 rhs>`, `D = next -
 * current`, so that it is not lost to cancellation.
 */
function lowersObjective(system: InputModeSystem, current: Float64Array, next: Float64Array): boolean {
  const sum = next.map((v, k) => v + current[k]);
  const nSum = new Float64Array(sum.length);
  system.apply(sum, nSum);
  let change = 0;
  for (let k = 0; k < sum.length; k++) change += (next[k] - current[k]) * (nSum[k] - 2 * system.rhs[k]);
  return change <= 0;
}

/**
 * The im2col columns with mode `mode`'s index first: `order[i J + j] = p` for the column
 * `p` whose mode-`mode` index is `i` and whose other indices, in order, ravel to `j`.
 */
function modeFirstOrder(sizes: readonly number[], mode: number): Int32Array {
  const p = sizes.reduce((a, s) => a * s, 1);
  const order = new Int32Array(p);
  const j = p / sizes[mode];
  const index = new Array<number>(sizes.length).fill(0);
  for (let col = 0; col < p; col++) {
    let rest = 0;
    for (let k = 0; k < sizes.length; k++) if (k !== mode) rest = rest * sizes[k] + index[k];
    order[index[mode] * j + rest] = col;
    // Next multi-index, last mode fastest.
    for (let k = sizes.length - 1; k >= 0; k--) {
      if (++index[k] < sizes[k]) break;
      index[k] = 0;
    }
  }
  return order;
}

/** `m[rowOrder, colOrder]` (`null`: rows as they are). */
function permuted(m: linalg.Matrix, rowOrder: Int32Array | null, colOrder: Int32Array): linalg.Matrix {
  if (colOrder.every((v, k) => v === k) && (rowOrder === null || rowOrder.every((v, k) => v === k))) return m;
  const out = linalg.zeros(m.rows, m.cols);
  for (let a = 0; a < m.rows; a++) {
    const src = (rowOrder ? rowOrder[a] : a) * m.cols;
    for (let b = 0; b < m.cols; b++) out.data[a * m.cols + b] = m.data[src + colOrder[b]];
  }
  return out;
}
