/**
 * The eigenproblem of a rank-one update of a diagonal matrix,
 * `D + rho z z^T` (`d` strictly increasing, no zero `z_i`, `rho > 0`), the
 * merge step of divide and conquer.
 *
 * Its eigenvalues are the roots of the secular equation
 * `f(x) = 1 + rho sum_i z_i^2 / (d_i - x)`, one in each `(d_j, d_{j+1})` and
 * the last in `(d_{k-1}, d_{k-1} + rho |z|^2]`. Each root is stored as an
 * offset `tau` from the nearer pole `d_origin`, so the differences
 * `d_i - lambda_j = (d_i - d_origin) - tau` that the eigenvectors need keep
 * full relative accuracy even when a root nearly touches a pole.
 *
 * The vectors follow Gu and Eisenstat: instead of `z` they use the `zhat`
 * for which the computed roots are exact eigenvalues, which makes the
 * eigenvectors numerically orthogonal without any re-orthogonalization.
 */
import { NonConvergenceError } from './errors.js';

export interface SecularRoots {
  /** Index of the pole each root is measured from. */
  origin: Int32Array;
  /** `lambda_j = d[origin_j] + tau_j`. */
  tau: Float64Array;
}

const MAX_ITER = 200;

export function secularRoots(
  d: Float64Array,
  z: Float64Array,
  rho: number,
  shape: readonly number[],
  fn: string,
): SecularRoots {
  const k = d.length;
  const origin = new Int32Array(k);
  const tau = new Float64Array(k);
  const delta = new Float64Array(k);
  let zz = 0;
  for (let i = 0; i < k; i++) zz += z[i] * z[i];
  for (let j = 0; j < k; j++) {
    let org = j;
    let lo = 0;
    let hi = rho * zz;
    if (j < k - 1) {
      // Measure from the pole nearer the root: the sign of f at the midpoint tells which half holds it.
      const half = (d[j + 1] - d[j]) / 2;
      let fmid = 1;
      for (let i = 0; i < k; i++) fmid += (rho * z[i] * z[i]) / (d[i] - d[j] - half);
      if (fmid >= 0) {
        hi = half;
      } else {
        org = j + 1;
        lo = -half;
        hi = 0;
      }
    }
    for (let i = 0; i < k; i++) delta[i] = d[i] - d[org];
    origin[j] = org;
    tau[j] = solveRoot(delta, z, rho, j, lo, hi, shape, fn);
  }
  return { origin, tau };
}

/**
 * The root in `(lo, hi)` (offsets from the origin pole) by the "middle way"
 * iteration: `psi` (poles left of the root) and `phi` (poles right of it)
 * are each modelled by a constant plus one pole term matching value and
 * slope at the current point, and the model's root is the next iterate;
 * bisection steps in whenever the model's root leaves the bracket.
 */
function solveRoot(
  delta: Float64Array,
  z: Float64Array,
  rho: number,
  j: number,
  lo: number,
  hi: number,
  shape: readonly number[],
  fn: string,
): number {
  const k = delta.length;
  const p1 = delta[j];
  const last = j === k - 1;
  const p2 = last ? 0 : delta[j + 1];
  const eps = Number.EPSILON;
  let x = (lo + hi) / 2;
  for (let it = 0; it < MAX_ITER; it++) {
    let psi = 0;
    let dpsi = 0;
    let phi = 0;
    let dphi = 0;
    for (let i = 0; i <= j; i++) {
      const inv = 1 / (delta[i] - x);
      const t = z[i] * z[i] * inv;
      psi += t;
      dpsi += t * inv;
    }
    for (let i = j + 1; i < k; i++) {
      const inv = 1 / (delta[i] - x);
      const t = z[i] * z[i] * inv;
      phi += t;
      dphi += t * inv;
    }
    psi *= rho;
    dpsi *= rho;
    phi *= rho;
    dphi *= rho;
    const f = 1 + psi + phi;
    if (f === 0) return x;
    if (f < 0) lo = x;
    else hi = x;
    // f's rounding error grows with k and with the size of its terms; below that, x is as good as it gets.
    if (Math.abs(f) <= 4 * eps * k * (1 + Math.abs(psi) + Math.abs(phi))) return x;
    if (hi - lo <= 2 * eps * Math.max(Math.abs(lo), Math.abs(hi))) return (lo + hi) / 2;
    const b1 = dpsi * (p1 - x) * (p1 - x);
    const a1 = psi - b1 / (p1 - x);
    let next: number;
    if (last) {
      const A = 1 + a1;
      next = A > 0 ? p1 + b1 / A : Number.NaN;
    } else {
      const b2 = dphi * (p2 - x) * (p2 - x);
      const a2 = phi - b2 / (p2 - x);
      next = modelRoot(1 + a1 + a2, b1, b2, p1, p2);
    }
    x = next > lo && next < hi ? next : (lo + hi) / 2;
  }
  throw new NonConvergenceError(fn, shape, MAX_ITER, `secular equation root ${j} of ${k}`);
}

/** The root in `(p1, p2)` of `A + b1/(p1 - x) + b2/(p2 - x)`, from the quadratic it clears to. */
function modelRoot(A: number, b1: number, b2: number, p1: number, p2: number): number {
  const a = A;
  const b = -(A * (p1 + p2) + b1 + b2);
  const c = A * p1 * p2 + b1 * p2 + b2 * p1;
  if (a === 0) return b === 0 ? Number.NaN : -c / b;
  const disc = b * b - 4 * a * c;
  if (disc < 0) return Number.NaN;
  const q = -(b + (b >= 0 ? 1 : -1) * Math.sqrt(disc)) / 2;
  const x1 = q / a;
  const x2 = q === 0 ? Number.NaN : c / q;
  return x1 > p1 && x1 < p2 ? x1 : x2;
}

/**
 * The eigenvectors as the columns of a `k x k` row-major matrix:
 * `u_j[i] = zhat_i / (d_i - lambda_j)`, normalized.
 */
export function secularVectors(
  d: Float64Array,
  z: Float64Array,
  rho: number,
  roots: SecularRoots,
): Float64Array {
  const k = d.length;
  const { origin, tau } = roots;
  const u = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    const row = i * k;
    for (let j = 0; j < k; j++) u[row + j] = d[i] - d[origin[j]] - tau[j];
  }
  // zhat_i^2 = prod_j (lambda_j - d_i) / (rho prod_{l != i} (d_l - d_i)), paired so every factor is in (0, 1].
  for (let i = 0; i < k; i++) {
    const row = i * k;
    let t = -u[row + k - 1] / rho;
    for (let j = 0; j < i; j++) t *= -u[row + j] / (d[j] - d[i]);
    for (let j = i; j < k - 1; j++) t *= -u[row + j] / (d[j + 1] - d[i]);
    const zhat = (z[i] < 0 ? -1 : 1) * Math.sqrt(t);
    for (let j = 0; j < k; j++) u[row + j] = zhat / u[row + j];
  }
  const norms = new Float64Array(k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) norms[j] += u[i * k + j] * u[i * k + j];
  for (let j = 0; j < k; j++) norms[j] = 1 / Math.sqrt(norms[j]);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) u[i * k + j] *= norms[j];
  return u;
}
