/**
 * Cholesky factorization `A = L L^T` of a symmetric positive definite matrix
 * (lower triangle read), with optional jitter: when the factorization fails,
 * `eps * trace(A)/n` is added to the diagonal, `eps` escalating tenfold from
 * `start` to `max`, and the amount used is reported. This is how the Sigma
 * norm regularises a calibration covariance that is only semidefinite.
 *
 * Left-looking and blocked: each block column is first brought up to date by
 * one product with the columns already factored, then factored; the products
 * carry almost all of the `n^3/3` work.
 */
import { LinalgError } from './errors.js';
import { gemm } from './gemm.js';
import type { Matrix } from './matrix.js';
import { checkFactorInput } from './validate.js';

export interface CholeskyOptions {
  /** `true` for the default escalation (`start` 1e-9, `max` 1e-3, relative to trace(A)/n). */
  jitter?: boolean | { start?: number; max?: number };
}

export interface Cholesky {
  /** Lower triangular with a positive diagonal; zeros above it. */
  L: Matrix;
  /** The absolute amount added to the diagonal (0 when none was needed). */
  jitter: number;
  /** `jitter / (trace(A)/n)`. */
  relativeJitter: number;
}

const NB = 64;

export function cholesky(a: Matrix, opts: CholeskyOptions = {}): Cholesky {
  checkFactorInput('cholesky', a, { square: true });
  const n = a.rows;
  const first = factor(a.data, n, 0);
  if (first.ok) return { L: first.L, jitter: 0, relativeJitter: 0 };
  const fail = (extra: string): never => {
    throw new LinalgError(
      'cholesky',
      [n, n],
      `matrix is not positive definite (pivot ${first.row} is ${first.pivot})${extra}`,
    );
  };
  if (!opts.jitter) return fail('; pass { jitter: true } to regularise');
  const { start = 1e-9, max = 1e-3 } = opts.jitter === true ? {} : opts.jitter;
  let trace = 0;
  for (let i = 0; i < n; i++) trace += a.data[i * n + i];
  const scale = trace / n;
  if (!(scale > 0)) return fail(`; jitter relative to trace/n = ${scale} cannot help`);
  for (let eps = start; eps <= max * (1 + 1e-12); eps *= 10) {
    const attempt = factor(a.data, n, eps * scale);
    if (attempt.ok) return { L: attempt.L, jitter: eps * scale, relativeJitter: eps };
  }
  return fail(`, even with jitter up to ${max} * trace/n`);
}

type Attempt = { ok: true; L: Matrix } | { ok: false; row: number; pivot: number };

/**
 * Factors `A + shift I`. A pivot at or below `n * eps` times its diagonal
 * entry fails: that is rounding noise, and the matrix is semidefinite to
 * working precision (a `1/L` built on it would amplify noise without bound).
 */
function factor(src: Float64Array, n: number, shift: number): Attempt {
  const tiny = n * Number.EPSILON;
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) l[i * n + j] = src[i * n + j];
    l[i * n + i] += shift;
  }
  for (let k0 = 0; k0 < n; k0 += NB) {
    const kb = Math.min(NB, n - k0);
    const k1 = k0 + kb;
    if (k0 > 0) {
      // Columns [k0, k1) of rows [k0, n) -= L[k0:n, 0:k0] L[k0:k1, 0:k0]^T.
      const bt = new Float64Array(k0 * kb);
      for (let j = 0; j < kb; j++) for (let p = 0; p < k0; p++) bt[p * kb + j] = l[(k0 + j) * n + p];
      gemm(n - k0, kb, k0, -1, l, k0 * n, n, bt, 0, kb, 1, l, k0 * n + k0, n);
    }
    // Diagonal block, unblocked; then the rows below by substitution against it.
    for (let j = k0; j < k1; j++) {
      let s = l[j * n + j];
      for (let p = k0; p < j; p++) s -= l[j * n + p] * l[j * n + p];
      if (!(s > tiny * (src[j * n + j] + shift))) return { ok: false, row: j, pivot: s };
      const ljj = Math.sqrt(s);
      l[j * n + j] = ljj;
      for (let i = j + 1; i < n; i++) {
        let t = l[i * n + j];
        for (let p = k0; p < j; p++) t -= l[i * n + p] * l[j * n + p];
        l[i * n + j] = t / ljj;
      }
    }
  }
  // Zero what the block updates wrote above the diagonal.
  for (let i = 0; i < n; i++) l.fill(0, i * n + i + 1, (i + 1) * n);
  return { ok: true, L: { rows: n, cols: n, data: l } };
}
