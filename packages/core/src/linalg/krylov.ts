/**
 * Krylov solvers for `A x = b` with `A` given only as a product: conjugate
 * gradients (symmetric positive definite, optionally preconditioned) and
 * MINRES (any symmetric, indefinite included; Paige and Saunders). Used where
 * the normal equations are too big to form, such as the Sigma-norm Tucker
 * factor update.
 *
 * Both stop on the relative residual `|b - A x| <= tol |b|`, and confirm it
 * with an explicitly computed residual: the recurrences drift in floating
 * point, so a claimed convergence that the true residual does not back up
 * restarts the iteration from the current `x`. Running out of iterations is
 * a `NonConvergenceError`.
 */
import { LinalgError, NonConvergenceError } from './errors.js';
import { vecNorm } from './matrix.js';
import { checkFiniteVector } from './validate.js';

/** Writes `A x` into `out` (the two never alias). */
export type LinearOperator = (x: Float64Array, out: Float64Array) => void;

export interface KrylovOptions {
  /** Starting guess (default zero). */
  x0?: Float64Array;
  /** Relative residual to reach (default 1e-10). */
  tol?: number;
  /** Iteration limit, counting restarts (default `10 n`). */
  maxIter?: number;
}

export interface CgOptions extends KrylovOptions {
  /** Applies `M^{-1}` for a symmetric positive definite preconditioner `M`. */
  preconditioner?: LinearOperator;
}

export interface KrylovResult {
  x: Float64Array;
  iterations: number;
  /** `|b - A x|`, computed explicitly at the end. */
  residualNorm: number;
}

interface Setup {
  n: number;
  x: Float64Array;
  target: number;
  maxIter: number;
  bnorm: number;
}

function setup(fn: string, b: Float64Array, opts: KrylovOptions): Setup {
  const n = b.length;
  if (n === 0) throw new LinalgError(fn, [0], 'empty right-hand side');
  checkFiniteVector(fn, b, 'right-hand side');
  const x = opts.x0 ? opts.x0.slice() : new Float64Array(n);
  if (x.length !== n) throw new LinalgError(fn, [n], `x0 has length ${x.length}`);
  checkFiniteVector(fn, x, 'x0');
  const bnorm = vecNorm(b);
  return { n, x, target: (opts.tol ?? 1e-10) * bnorm, maxIter: opts.maxIter ?? 10 * n, bnorm };
}

/** `r = b - A x`, returning its norm; a non-finite product is reported, not iterated on. */
function residual(fn: string, op: LinearOperator, b: Float64Array, x: Float64Array, r: Float64Array): number {
  op(x, r);
  for (let i = 0; i < r.length; i++) r[i] = b[i] - r[i];
  const norm = vecNorm(r);
  if (!Number.isFinite(norm)) throw new LinalgError(fn, [b.length], 'the operator produced NaN or Inf');
  return norm;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Conjugate gradients for symmetric positive definite `A`. */
export function cg(op: LinearOperator, b: Float64Array, opts: CgOptions = {}): KrylovResult {
  const fn = 'cg';
  const { n, x, target, maxIter, bnorm } = setup(fn, b, opts);
  const precond = opts.preconditioner ?? ((v: Float64Array, out: Float64Array) => out.set(v));
  const r = new Float64Array(n);
  const z = new Float64Array(n);
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  let rnorm = residual(fn, op, b, x, r);
  let it = 0;
  while (rnorm > target) {
    // (Re)start: p = z = M^{-1} r.
    precond(r, z);
    let rz = dot(r, z);
    if (!(rz > 0))
      throw new LinalgError(fn, [n], `preconditioner is not positive definite (r^T M^-1 r = ${rz})`);
    p.set(z);
    while (rnorm > target) {
      if (++it > maxIter) {
        throw new NonConvergenceError(
          fn,
          [n],
          maxIter,
          `relative residual ${(rnorm / bnorm).toExponential(2)}`,
        );
      }
      op(p, q);
      const pq = dot(p, q);
      if (!(pq > 0)) {
        throw new LinalgError(
          fn,
          [n],
          `operator is not positive definite (p^T A p = ${pq} at iteration ${it})`,
        );
      }
      const alpha = rz / pq;
      for (let i = 0; i < n; i++) {
        x[i] += alpha * p[i];
        r[i] -= alpha * q[i];
      }
      rnorm = vecNorm(r);
      if (rnorm <= target) break;
      precond(r, z);
      const rzNext = dot(r, z);
      const beta = rzNext / rz;
      rz = rzNext;
      for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
    }
    rnorm = residual(fn, op, b, x, r);
  }
  return { x, iterations: it, residualNorm: rnorm };
}

/**
 * MINRES for symmetric `A`: Lanczos builds `A V_j = V_{j+1} T_j`, Givens
 * rotations keep the QR factorization of the tridiagonal `T_j` up to date,
 * and `x` moves along `W = V R^{-1}` by the rotated right-hand side. The
 * residual norm comes for free as `|phibar|`.
 */
export function minres(op: LinearOperator, b: Float64Array, opts: KrylovOptions = {}): KrylovResult {
  const fn = 'minres';
  const { n, x, target, maxIter, bnorm } = setup(fn, b, opts);
  const r = new Float64Array(n);
  let v = new Float64Array(n);
  let vPrev = new Float64Array(n);
  let q = new Float64Array(n);
  let w = new Float64Array(n);
  let w1 = new Float64Array(n);
  let w2 = new Float64Array(n);
  let rnorm = residual(fn, op, b, x, r);
  let it = 0;
  while (rnorm > target) {
    // (Re)start the Lanczos process from the current residual.
    const beta1 = rnorm;
    for (let i = 0; i < n; i++) v[i] = r[i] / beta1;
    vPrev.fill(0);
    w.fill(0); // w_{j-1} and w_{j-2} before the first step
    w1.fill(0);
    let beta = 0; // beta_j, the coupling to the previous Lanczos vector
    let cOld = 1,
      sOld = 0,
      c = 1,
      s = 0; // rotations G_{j-2}, G_{j-1}
    let phibar = beta1;
    while (Math.abs(phibar) > target) {
      if (++it > maxIter) {
        throw new NonConvergenceError(
          fn,
          [n],
          maxIter,
          `relative residual ${(Math.abs(phibar) / bnorm).toExponential(2)}`,
        );
      }
      op(v, q);
      for (let i = 0; i < n; i++) q[i] -= beta * vPrev[i];
      const alpha = dot(v, q);
      for (let i = 0; i < n; i++) q[i] -= alpha * v[i];
      const betaNext = vecNorm(q);
      if (!Number.isFinite(betaNext)) throw new LinalgError(fn, [n], 'the operator produced NaN or Inf');
      // Column j of T: beta_j above the diagonal, alpha_j on it, betaNext below; rotate it by G_{j-2}, G_{j-1}.
      const epsilon = sOld * beta;
      const deltaBar = cOld * beta;
      const delta = c * deltaBar + s * alpha;
      const gammaBar = c * alpha - s * deltaBar;
      const gamma = Math.hypot(gammaBar, betaNext);
      if (gamma === 0)
        throw new LinalgError(fn, [n], `operator is singular on the Krylov space (iteration ${it})`);
      cOld = c;
      sOld = s;
      c = gammaBar / gamma;
      s = betaNext / gamma;
      const phi = c * phibar;
      phibar = -s * phibar;
      [w2, w1, w] = [w1, w, w2];
      for (let i = 0; i < n; i++) {
        w[i] = (v[i] - delta * w1[i] - epsilon * w2[i]) / gamma;
        x[i] += phi * w[i];
      }
      if (betaNext === 0) break; // invariant subspace: x is exact for it
      [vPrev, v, q] = [v, q, vPrev];
      for (let i = 0; i < n; i++) v[i] /= betaNext;
      beta = betaNext;
    }
    rnorm = residual(fn, op, b, x, r);
  }
  return { x, iterations: it, residualNorm: rnorm };
}
