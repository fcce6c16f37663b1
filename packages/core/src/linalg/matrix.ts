/**
 * The dense matrix every routine here works on: float64, row-major, no
 * strides. Inputs in other precisions are converted on the way in (the
 * Tensor layer converts results back to the dtype asked for).
 */
import { LinalgError } from './errors.js';
import { gemm } from './gemm.js';

export interface Matrix {
  rows: number;
  cols: number;
  /** Row-major: entry (i, j) is `data[i * cols + j]`. */
  data: Float64Array;
}

/**
 * Wraps `data` as a `rows x cols` matrix. A Float64Array is used as-is (no
 * copy); any other array-like is converted to float64.
 */
export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new LinalgError('matrix', [rows, cols], 'dimensions must be non-negative integers');
  }
  if (data === undefined) return { rows, cols, data: new Float64Array(rows * cols) };
  if (data.length !== rows * cols) {
    throw new LinalgError('matrix', [rows, cols], `expected ${rows * cols} values, got ${data.length}`);
  }
  return { rows, cols, data: data instanceof Float64Array ? data : Float64Array.from(data) };
}

export function zeros(rows: number, cols: number): Matrix {
  return matrix(rows, cols);
}

/** The `n x n` identity, or the `rows x cols` matrix with ones on the main diagonal. */
export function eye(rows: number, cols = rows): Matrix {
  const out = zeros(rows, cols);
  for (let i = 0; i < Math.min(rows, cols); i++) out.data[i * cols + i] = 1;
  return out;
}

/** Builds a matrix from nested arrays; all rows must have the same length. */
export function fromArrays(rowsOf: readonly (readonly number[])[]): Matrix {
  const rows = rowsOf.length;
  const cols = rows === 0 ? 0 : rowsOf[0].length;
  const out = zeros(rows, cols);
  for (let i = 0; i < rows; i++) {
    if (rowsOf[i].length !== cols) {
      throw new LinalgError('fromArrays', [rows, cols], `row ${i} has ${rowsOf[i].length} entries`);
    }
    out.data.set(rowsOf[i], i * cols);
  }
  return out;
}

export function toArrays(a: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.rows; i++) out.push(Array.from(a.data.subarray(i * a.cols, (i + 1) * a.cols)));
  return out;
}

export function clone(a: Matrix): Matrix {
  return { rows: a.rows, cols: a.cols, data: a.data.slice() };
}

/** The diagonal matrix with `d` on its diagonal. */
export function diag(d: ArrayLike<number>): Matrix {
  const out = zeros(d.length, d.length);
  for (let i = 0; i < d.length; i++) out.data[i * d.length + i] = d[i];
  return out;
}

/** Blocked transpose, so both the reads and the writes stay within a few cache lines. */
export function transpose(a: Matrix): Matrix {
  const { rows, cols } = a;
  const src = a.data;
  const out = new Float64Array(rows * cols);
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(rows, i0 + B);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(cols, j0 + B);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) out[j * rows + i] = src[i * cols + j];
      }
    }
  }
  return { rows: cols, cols: rows, data: out };
}

export interface MatmulOptions {
  /** Use `A^T` in place of `A`. */
  transA?: boolean;
  /** Use `B^T` in place of `B`. */
  transB?: boolean;
}

/** `op(A) op(B)`. Transposed operands are transposed once up front (O(n^2)) so the kernel streams rows. */
export function matmul(a: Matrix, b: Matrix, opts: MatmulOptions = {}): Matrix {
  const A = opts.transA ? transpose(a) : a;
  const B = opts.transB ? transpose(b) : b;
  if (A.cols !== B.rows) {
    throw new LinalgError(
      'matmul',
      [a.rows, a.cols, b.rows, b.cols],
      `inner dimensions differ: ${A.rows}x${A.cols} times ${B.rows}x${B.cols}`,
    );
  }
  const out = zeros(A.rows, B.cols);
  gemm(A.rows, B.cols, A.cols, 1, A.data, 0, A.cols, B.data, 0, B.cols, 0, out.data, 0, B.cols);
  return out;
}

/** `A x` for a vector `x`. */
export function matvec(a: Matrix, x: Float64Array, opts: { trans?: boolean } = {}): Float64Array {
  const { rows, cols, data } = a;
  if (x.length !== (opts.trans ? rows : cols)) {
    throw new LinalgError('matvec', [rows, cols], `vector has length ${x.length}`);
  }
  if (opts.trans) {
    const out = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      const row = i * cols;
      for (let j = 0; j < cols; j++) out[j] += xi * data[row + j];
    }
    return out;
  }
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += data[row + j] * x[j];
    out[i] = s;
  }
  return out;
}

/**
 * The Gram matrix `A^T A` (`'AtA'`, `cols x cols`) or `A A^T` (`'AAt'`,
 * `rows x rows`). Computed as `X X^T` one block row at a time from the
 * diagonal block rightwards, then mirrored: half the work of a general
 * product, at the speed of the blocked kernel.
 */
export function gram(a: Matrix, which: 'AtA' | 'AAt' = 'AtA'): Matrix {
  const t = transpose(a);
  const [x, xt] = which === 'AtA' ? [t, a] : [a, t];
  const r = x.rows;
  const k = x.cols;
  const out = new Float64Array(r * r);
  const RB = 64;
  for (let i0 = 0; i0 < r; i0 += RB) {
    const ib = Math.min(RB, r - i0);
    gemm(ib, r - i0, k, 1, x.data, i0 * k, k, xt.data, i0, r, 0, out, i0 * r + i0, r);
  }
  mirrorUpper(out, r);
  return { rows: r, cols: r, data: out };
}

function mirrorUpper(out: Float64Array, n: number): void {
  for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) out[q * n + p] = out[p * n + q];
}

/** The 2-norm of a vector, scaled so that huge or tiny entries neither overflow nor underflow. */
export function vecNorm(x: ArrayLike<number>, offset = 0, length = x.length - offset, stride = 1): number {
  let ss = 0;
  for (let i = 0, k = offset; i < length; i++, k += stride) ss += x[k] * x[k];
  if (ss > 1e-280 && ss < 1e280) return Math.sqrt(ss);
  let scale = 0;
  for (let i = 0, k = offset; i < length; i++, k += stride) scale = Math.max(scale, Math.abs(x[k]));
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  ss = 0;
  for (let i = 0, k = offset; i < length; i++, k += stride) {
    const t = x[k] / scale;
    ss += t * t;
  }
  return scale * Math.sqrt(ss);
}

/** Matrix norms: Frobenius (default), 1 (max column sum), Infinity (max row sum), or the max-abs entry. */
export function norm(a: Matrix, ord: 'fro' | 1 | typeof Infinity | 'max' = 'fro'): number {
  const { rows, cols, data } = a;
  if (ord === 'fro') return vecNorm(data);
  if (ord === 'max') {
    let m = 0;
    for (let i = 0; i < data.length; i++) m = Math.max(m, Math.abs(data[i]));
    return m;
  }
  if (ord === 1) {
    const sums = new Float64Array(cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) sums[j] += Math.abs(data[i * cols + j]);
    return sums.reduce((m, s) => Math.max(m, s), 0);
  }
  if (ord === Infinity) {
    let m = 0;
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += Math.abs(data[i * cols + j]);
      m = Math.max(m, s);
    }
    return m;
  }
  throw new LinalgError('norm', [rows, cols], `unknown order ${String(ord)}`);
}

/** `A - B`, for residuals. */
export function sub(a: Matrix, b: Matrix): Matrix {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new LinalgError('sub', [a.rows, a.cols, b.rows, b.cols], 'shapes differ');
  }
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] - b.data[i];
  return { rows: a.rows, cols: a.cols, data: out };
}

/** Columns `[start, end)` of `a` as a new matrix. */
export function sliceCols(a: Matrix, start: number, end: number): Matrix {
  const w = end - start;
  const out = zeros(a.rows, w);
  for (let i = 0; i < a.rows; i++) out.data.set(a.data.subarray(i * a.cols + start, i * a.cols + end), i * w);
  return out;
}

/** `A diag(d)`: column j scaled by `d[j]`. */
export function scaleCols(a: Matrix, d: ArrayLike<number>): Matrix {
  const out = clone(a);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out.data[i * a.cols + j] *= d[j];
  return out;
}
