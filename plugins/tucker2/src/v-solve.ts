import { linalg } from '@lowrank/core';

/**
 * Largest `I*R2` (the unknowns of the `V` update) solved by forming `N` and a dense
 * Cholesky; beyond it `N` (`(I R2)²` entries, `O(P² R2²)` to form, `(I R2)³/3` to
 * factor) costs more than a few dozen matrix-free products, and CG takes over.
 */
export const DENSE_V_SOLVE_MAX = 1024;

/** Relative residual the matrix-free solve aims for. */
const CG_TOLERANCE = 1e-10;
/** Iteration cap of the matrix-free solve (it rarely needs more than a few dozen). */
const CG_MAX_ITERATIONS = 1000;

/** How the `V` update solves its normal equations. */
export type VSolve = 'auto' | 'dense' | 'matrix-free';

/** One `V` update of Tucker2-ALS-Sigma: everything but `V` held fixed. */
export interface VSystem {
  /** `P x P`. */
  sigma: linalg.Matrix;
  /** `W_mat Sigma`, `O x P`. */
  wSigma: linalg.Matrix;
  /** `O x R1`. */
  u: linalg.Matrix;
  /** `R1 x R2 x K`. */
  core: linalg.NdArray;
  /** `I x R2`, the previous iterate (the CG start and the proximal anchor). */
  v: linalg.Matrix;
}

/**
 * The `V` minimising `‖(W_mat - U G_(1) (V ⊗ I_K)^T) L‖_F` with `U` and `G` fixed
 * (ALGORITHMS.md, Tucker2-ALS-Sigma): `N vec(V) = rhs` with `C = G x1 U`,
 * `N[(s,b),(s',b')] = sum_{k,k'} Sigma[(s,k),(s',k')] M[(b,k),(b',k')]`, `M = C_(2..)^T
 * C_(2..)` (`C` as `O x R2 K`), `rhs[(s,b)] = sum_{t,k} (W_mat Sigma)[t,(s,k)] C[t,b,k]`.
 * `vec(V)` is row-major (`s*R2 + b`). Solved as a proximal step (see `linalg.proximalSolve`):
 * densely when `I*R2 <= DENSE_V_SOLVE_MAX` (or asked), else by preconditioned CG.
 */
export function solveV(system: VSystem, method: VSolve = 'auto'): linalg.Matrix {
  const { sigma, wSigma, u, core, v } = system;
  const [, r2, k] = core.shape;
  const inChannels = v.rows;
  const out = u.rows;
  const c = linalg.modeProduct(core, u, 0);
  const cMat = linalg.matrix(out, r2 * k, c.data);
  const m = linalg.gram(cMat, 'AtA');
  const rhs = linalg.matmul(
    linalg.unfold(linalg.ndarray([out, inChannels, k], wSigma.data), 1),
    linalg.unfold(c, 1),
    { transB: true },
  );
  const n = inChannels * r2;
  const dense = method === 'dense' || (method === 'auto' && n <= DENSE_V_SOLVE_MAX);
  if (dense) {
    const normal = denseNormalMatrix(sigma, m, inChannels, r2, k);
    const x = linalg.proximalSolve(normal, linalg.matrix(n, 1, rhs.data), linalg.matrix(n, 1, v.data));
    return linalg.matrix(inChannels, r2, x.data);
  }
  return matrixFree(system, m, rhs, k);
}

/** `N`, formed entry by entry from the `K x K` blocks of Sigma and of `M` (its lower half, mirrored). */
function denseNormalMatrix(
  sigma: linalg.Matrix,
  m: linalg.Matrix,
  inChannels: number,
  r2: number,
  k: number,
): linalg.Matrix {
  const n = inChannels * r2;
  const p = inChannels * k;
  const rk = r2 * k;
  const out = linalg.zeros(n, n);
  for (let s = 0; s < inChannels; s++) {
    for (let s2 = 0; s2 <= s; s2++) {
      for (let b = 0; b < r2; b++) {
        for (let b2 = 0; b2 < r2; b2++) {
          let acc = 0;
          for (let kk = 0; kk < k; kk++) {
            const sRow = (s * k + kk) * p + s2 * k;
            const mRow = (b * k + kk) * rk + b2 * k;
            for (let k2 = 0; k2 < k; k2++) acc += sigma.data[sRow + k2] * m.data[mRow + k2];
          }
          out.data[(s * r2 + b) * n + s2 * r2 + b2] = acc;
          out.data[(s2 * r2 + b2) * n + s * r2 + b] = acc;
        }
      }
    }
  }
  return out;
}

/**
 * CG on `(N + mu I) x = rhs + mu vec(V_prev)` from `V_prev`. One product with `N`
 * costs one `Mg Sigma` (`Mg = G x2 V`, `R1 x P`): `N vec(V) = unfold(Mg Sigma, 1)
 * unfold(U^T U G, 1)^T`. Preconditioner: the Kronecker approximation `Sigma_I ⊗ M_d`
 * of `N` (`Sigma_I[s,s'] = sum_k Sigma[(s,k),(s',k)]`, `M_d[b,b'] = sum_k
 * M[(b,k),(b',k)]`), exact when the kernel positions are uncorrelated and equal, as
 * for a linear layer (`K = 1`, where CG then converges in one step); it carries the
 * channel correlations that make `N` ill-conditioned. Every CG iterate started at
 * `V_prev` lowers the step's quadratic, so should CG run out of iterations the step
 * keeps `V_prev` (still a descent step, never a worse one).
 */
function matrixFree(system: VSystem, m: linalg.Matrix, rhs: linalg.Matrix, k: number): linalg.Matrix {
  const { sigma, u, core, v } = system;
  const [r1, r2] = core.shape;
  const inChannels = v.rows;
  const p = inChannels * k;
  const n = inChannels * r2;
  const mu = (linalg.PROXIMAL_WEIGHT * normalTrace(sigma, m, inChannels, r2, k)) / n;
  if (!(mu > 0)) return linalg.clone(v);
  const d = linalg.unfold(linalg.modeProduct(core, linalg.gram(u, 'AtA'), 0), 1);
  const apply = (x: Float64Array, out: Float64Array) => {
    const mg = linalg.modeProduct(core, linalg.matrix(inChannels, r2, x), 1);
    const mgSigma = linalg.matmul(linalg.matrix(r1, p, mg.data), sigma);
    const y = linalg.matmul(linalg.unfold(linalg.ndarray([r1, inChannels, k], mgSigma.data), 1), d, {
      transB: true,
    });
    for (let i = 0; i < n; i++) out[i] = y.data[i] + mu * x[i];
  };
  const sigmaChannels = linalg.zeros(inChannels, inChannels);
  for (let s = 0; s < inChannels; s++)
    for (let s2 = 0; s2 < inChannels; s2++)
      for (let kk = 0; kk < k; kk++)
        sigmaChannels.data[s * inChannels + s2] += sigma.data[(s * k + kk) * p + s2 * k + kk];
  const mChannels = linalg.zeros(r2, r2);
  for (let b = 0; b < r2; b++)
    for (let b2 = 0; b2 < r2; b2++)
      for (let kk = 0; kk < k; kk++)
        mChannels.data[b * r2 + b2] += m.data[(b * k + kk) * r2 * k + b2 * k + kk];
  const left = definiteFactor(sigmaChannels);
  const right = definiteFactor(mChannels);
  const precondition = (r: Float64Array, z: Float64Array) => {
    const t = linalg.choleskySolve(left, linalg.matrix(inChannels, r2, r));
    z.set(linalg.transpose(linalg.choleskySolve(right, linalg.transpose(t))).data);
  };
  const b = rhs.data.slice();
  for (let i = 0; i < n; i++) b[i] += mu * v.data[i];
  try {
    const { x } = linalg.cg(apply, b, {
      x0: v.data,
      tol: CG_TOLERANCE,
      maxIter: CG_MAX_ITERATIONS,
      preconditioner: precondition,
    });
    return linalg.matrix(inChannels, r2, x);
  } catch (e) {
    if (e instanceof linalg.NonConvergenceError) return linalg.clone(v);
    throw e;
  }
}

/** `trace(N) = sum_{s,b} sum_{k,k'} Sigma[(s,k),(s,k')] M[(b,k),(b,k')]`, without forming `N`. */
function normalTrace(
  sigma: linalg.Matrix,
  m: linalg.Matrix,
  inChannels: number,
  r2: number,
  k: number,
): number {
  const p = inChannels * k;
  const rk = r2 * k;
  let sigmaBlock = 0;
  let trace = 0;
  for (let kk = 0; kk < k; kk++) {
    for (let k2 = 0; k2 < k; k2++) {
      sigmaBlock = 0;
      for (let s = 0; s < inChannels; s++) sigmaBlock += sigma.data[(s * k + kk) * p + s * k + k2];
      let mBlock = 0;
      for (let b = 0; b < r2; b++) mBlock += m.data[(b * k + kk) * rk + b * k + k2];
      trace += sigmaBlock * mBlock;
    }
  }
  return trace;
}

/** A Cholesky factor of a semidefinite preconditioner block, jittered as needed (identity when it is zero). */
function definiteFactor(a: linalg.Matrix): linalg.Matrix {
  if (!(linalg.meanDiagonal(a) > 0)) return linalg.eye(a.rows);
  return linalg.cholesky(a, { jitter: true }).L;
}
