/**
 * Linear solves: triangular (forward/back substitution), general square
 * through LU with partial pivoting, and symmetric positive definite through
 * a Cholesky factor. Right-hand sides are a vector or the columns of a
 * matrix; the result has the same form.
 */
import { LinalgError } from './errors.js';
import type { Matrix } from './matrix.js';
import { checkFactorInput, checkFinite } from './validate.js';

export type RightHandSide = Matrix | Float64Array;

export interface TriangularOptions {
  /** `T` is lower triangular (default) or upper; the other triangle is not read. */
  lower?: boolean;
  /** Solve `T^T X = B` instead of `T X = B`. */
  transpose?: boolean;
  /** Take the diagonal to be ones (not read). */
  unitDiagonal?: boolean;
}

/** Solves `T X = B` (or `T^T X = B`) for triangular `T`. */
export function solveTriangular<B extends RightHandSide>(t: Matrix, b: B, opts: TriangularOptions = {}): B {
  const fn = 'solveTriangular';
  checkFactorInput(fn, t, { square: true });
  const { cols: x, r } = asColumns(fn, t, b);
  triangularInPlace(fn, t, x, r, opts.lower ?? true, opts.transpose ?? false, opts.unitDiagonal ?? false);
  return fromColumns(b, x, r) as B;
}

/**
 * Substitution on the `n x r` row-major `x`. Each variant walks `T` by rows
 * (contiguous): the transposed solves push each finished row of `X` into the
 * rows still to come instead of gathering a column of `T`.
 */
function triangularInPlace(
  fn: string,
  t: Matrix,
  x: Float64Array,
  r: number,
  lower: boolean,
  transpose: boolean,
  unit: boolean,
): void {
  const n = t.rows;
  const a = t.data;
  const pivot = (i: number): number => {
    const p = unit ? 1 : a[i * n + i];
    if (p === 0) throw new LinalgError(fn, [n, n], `matrix is singular (zero diagonal entry at ${i})`);
    return p;
  };
  const scaleRow = (i: number, f: number): void => {
    for (let c = 0; c < r; c++) x[i * r + c] *= f;
  };
  // x[dst] -= f * x[src]
  const axpy = (dst: number, f: number, src: number): void => {
    if (f === 0) return;
    for (let c = 0; c < r; c++) x[dst * r + c] -= f * x[src * r + c];
  };
  // Forward (row i depends on rows before it) when solving with L, or with U^T.
  const forward = lower !== transpose;
  for (let step = 0; step < n; step++) {
    const i = forward ? step : n - 1 - step;
    if (!transpose) {
      if (lower) for (let p = 0; p < i; p++) axpy(i, a[i * n + p], p);
      else for (let p = i + 1; p < n; p++) axpy(i, a[i * n + p], p);
      scaleRow(i, 1 / pivot(i));
    } else {
      scaleRow(i, 1 / pivot(i));
      if (lower) for (let p = 0; p < i; p++) axpy(p, a[i * n + p], i);
      else for (let p = i + 1; p < n; p++) axpy(p, a[i * n + p], i);
    }
  }
}

export interface LU {
  /** `L` (unit diagonal, not stored) below the diagonal and `U` on and above it: `P A = L U`. */
  lu: Matrix;
  /** Row `i` of `P A` is row `perm[i]` of `A`. */
  perm: Int32Array;
}

/**
 * LU with partial pivoting (the largest entry of each column as pivot). A
 * pivot below `n * eps * max|A|` means the matrix is singular to working
 * precision, which is an error rather than a factorization full of Inf.
 */
export function lu(a: Matrix): LU {
  const fn = 'lu';
  checkFactorInput(fn, a, { square: true });
  const n = a.rows;
  const w = a.data.slice();
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  let amax = 0;
  for (let i = 0; i < w.length; i++) amax = Math.max(amax, Math.abs(w[i]));
  const tiny = n * Number.EPSILON * amax;
  const tmp = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(w[i * n + k]) > Math.abs(w[p * n + k])) p = i;
    const pv = w[p * n + k];
    if (Math.abs(pv) <= tiny) {
      throw new LinalgError(fn, [n, n], `matrix is singular to working precision (pivot ${k} is ${pv})`);
    }
    if (p !== k) {
      tmp.set(w.subarray(p * n, p * n + n));
      w.copyWithin(p * n, k * n, k * n + n);
      w.set(tmp, k * n);
      [perm[p], perm[k]] = [perm[k], perm[p]];
    }
    const rk = k * n;
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const l = w[ri + k] / pv;
      w[ri + k] = l;
      if (l === 0) continue;
      for (let j = k + 1; j < n; j++) w[ri + j] -= l * w[rk + j];
    }
  }
  return { lu: { rows: n, cols: n, data: w }, perm };
}

/** Solves `A X = B` from `lu(A)`. */
export function luSolve<B extends RightHandSide>(f: LU, b: B): B {
  const fn = 'luSolve';
  const n = f.lu.rows;
  const { cols: x0, r } = asColumns(fn, f.lu, b);
  const x = new Float64Array(n * r);
  for (let i = 0; i < n; i++) x.set(x0.subarray(f.perm[i] * r, f.perm[i] * r + r), i * r);
  triangularInPlace(fn, f.lu, x, r, true, false, true);
  triangularInPlace(fn, f.lu, x, r, false, false, false);
  return fromColumns(b, x, r) as B;
}

/** Solves the square system `A X = B` (LU with partial pivoting). */
export function solve<B extends RightHandSide>(a: Matrix, b: B): B {
  return luSolve(lu(a), b);
}

/** Solves `A X = B` given the Cholesky factor `L` of `A` (`L L^T X = B`). */
export function choleskySolve<B extends RightHandSide>(l: Matrix, b: B): B {
  const fn = 'choleskySolve';
  checkFactorInput(fn, l, { square: true });
  const { cols: x, r } = asColumns(fn, l, b);
  triangularInPlace(fn, l, x, r, true, false, false);
  triangularInPlace(fn, l, x, r, true, true, false);
  return fromColumns(b, x, r) as B;
}

/** A copy of the right-hand side as an `n x r` row-major buffer, checked against `T`. */
function asColumns(fn: string, t: Matrix, b: RightHandSide): { cols: Float64Array; r: number } {
  const m: Matrix = b instanceof Float64Array ? { rows: b.length, cols: 1, data: b } : b;
  if (m.rows !== t.rows) {
    throw new LinalgError(fn, [t.rows, t.cols], `right-hand side has ${m.rows} rows`);
  }
  checkFinite(fn, m, 'right-hand side');
  return { cols: m.data.slice(), r: m.cols };
}

function fromColumns(b: RightHandSide, x: Float64Array, r: number): RightHandSide {
  return b instanceof Float64Array ? x : { rows: b.rows, cols: r, data: x };
}
