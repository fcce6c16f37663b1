/**
 * Symmetric tridiagonal eigenproblem by divide and conquer (Cuppen; Gu and
 * Eisenstat). `T` is split by the off-diagonal entry `beta` at its middle
 * into `diag(T1, T2) + beta u u^T`, both halves are solved recursively, and
 * the halves' eigenpairs are merged through the eigenproblem of
 * `D + rho z z^T` (see secular.ts). The merge's cost is one matrix product,
 * which keeps the eigenvector work at blocked-product speed instead of
 * the `O(n^3)` single rotations of the QR sweeps.
 *
 * Deflation makes it fast in practice: an eigenpair whose `z_i` is negligible,
 * or that nearly coincides with a neighbour (rotated into it), passes through
 * unchanged and takes no part in the product.
 */
import { gemm } from './gemm.js';
import { vecNorm } from './matrix.js';
import { secularRoots, secularVectors } from './secular.js';
import { tridiagonalQR } from './tridiagonal-qr.js';

/** Below this size the QR sweeps are cheaper than splitting further. */
const LEAF = 32;

export interface TridiagonalEigen {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** `n x n` row-major, column j = eigenvector of `values[j]`. */
  vectors: Float64Array;
}

interface Context {
  maxIter: number;
  shape: readonly number[];
  fn: string;
}

/** Eigenpairs of `tridiag(e, d, e)`; `d` and `e` are left unchanged. */
export function tridiagonalEigen(
  d: Float64Array,
  e: Float64Array,
  maxIter: number,
  shape: readonly number[],
  fn: string,
): TridiagonalEigen {
  const n = d.length;
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(d[i]));
  for (let i = 0; i < n - 1; i++) scale = Math.max(scale, Math.abs(e[i]));
  if (scale === 0) scale = 1;
  // Unit scale keeps the squares and products of the merge far from overflow and underflow.
  const ds = d.map((x) => x / scale);
  const es = e.map((x) => x / scale);
  const out = solve(ds, es, { maxIter, shape, fn });
  for (let i = 0; i < n; i++) out.values[i] *= scale;
  return out;
}

function solve(d: Float64Array, e: Float64Array, ctx: Context): TridiagonalEigen {
  const n = d.length;
  if (n <= LEAF) return leaf(d, e, ctx);
  const n1 = n >> 1;
  const beta = e[n1 - 1];
  const d1 = d.slice(0, n1);
  const d2 = d.slice(n1);
  d1[n1 - 1] -= beta;
  d2[0] -= beta;
  const left = solve(d1, e.slice(0, n1 - 1), ctx);
  const right = solve(d2, e.slice(n1), ctx);
  return merge(left, right, n1, n - n1, beta, ctx);
}

function leaf(d: Float64Array, e: Float64Array, ctx: Context): TridiagonalEigen {
  const n = d.length;
  const vals = d.slice();
  const zt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) zt[i * n + i] = 1;
  tridiagonalQR(vals, e.slice(), zt, ctx.maxIter, ctx.shape, ctx.fn);
  const order = argsort(vals);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  for (let p = 0; p < n; p++) {
    const src = order[p];
    values[p] = vals[src];
    for (let i = 0; i < n; i++) vectors[i * n + p] = zt[src * n + i];
  }
  return { values, vectors };
}

function argsort(x: Float64Array): Int32Array {
  return Int32Array.from(x.keys()).sort((a, b) => x[a] - x[b]);
}

/** Rows a column has entries in: 1 = top half only, 2 = bottom half only, 3 = both (after a rotation). */
type Support = 1 | 2 | 3;

function merge(
  left: TridiagonalEigen,
  right: TridiagonalEigen,
  n1: number,
  n2: number,
  beta: number,
  ctx: Context,
): TridiagonalEigen {
  const n = n1 + n2;
  // Columns of diag(Q1, Q2), column-major so rotations and gathers read contiguous memory.
  const cols = new Float64Array(n * n);
  const support: Support[] = [];
  const dv = new Float64Array(n);
  const zv = new Float64Array(n);
  for (let c = 0; c < n1; c++) {
    for (let i = 0; i < n1; i++) cols[c * n + i] = left.vectors[i * n1 + c];
    dv[c] = left.values[c];
    zv[c] = left.vectors[(n1 - 1) * n1 + c];
    support.push(1);
  }
  for (let c = 0; c < n2; c++) {
    for (let i = 0; i < n2; i++) cols[(n1 + c) * n + n1 + i] = right.vectors[i * n2 + c];
    dv[n1 + c] = right.values[c];
    zv[n1 + c] = right.vectors[c];
    support.push(2);
  }
  // T = diag(Q1, Q2) (D + rho z z^T) diag(Q1, Q2)^T with |z| = 1; rho < 0 is handled on -D.
  const zn = vecNorm(zv);
  let rho = beta * zn * zn;
  const sgn = rho < 0 ? -1 : 1;
  rho = Math.abs(rho);
  for (let i = 0; i < n; i++) {
    zv[i] /= zn;
    dv[i] *= sgn;
  }
  const order = argsort(dv);
  const ds = new Float64Array(n);
  const zs = new Float64Array(n);
  const col = new Int32Array(n);
  let dmax = 0;
  for (let t = 0; t < n; t++) {
    ds[t] = dv[order[t]];
    zs[t] = zv[order[t]];
    col[t] = order[t];
    dmax = Math.max(dmax, Math.abs(ds[t]));
  }
  const tol = 8 * Number.EPSILON * Math.max(dmax, rho);
  const deflatedValue: number[] = [];
  const deflatedCol: number[] = [];
  const kept: number[] = [];
  let prev = -1;
  for (let t = 0; t < n; t++) {
    if (rho * Math.abs(zs[t]) <= tol) {
      deflatedValue.push(ds[t]);
      deflatedCol.push(col[t]);
      continue;
    }
    if (prev >= 0) {
      // Rotate z's weight from prev into t; if the coupling that creates is negligible, prev deflates.
      const r = Math.hypot(zs[prev], zs[t]);
      const c = zs[t] / r;
      const s = zs[prev] / r;
      if (Math.abs(c * s * (ds[t] - ds[prev])) <= tol) {
        rotateColumns(cols, n, col[prev], col[t], c, s);
        const both = (support[col[prev]] | support[col[t]]) as Support;
        support[col[prev]] = both;
        support[col[t]] = both;
        deflatedValue.push(c * c * ds[prev] + s * s * ds[t]);
        deflatedCol.push(col[prev]);
        ds[t] = s * s * ds[prev] + c * c * ds[t];
        zs[t] = r;
        prev = t;
        continue;
      }
      kept.push(prev);
    }
    prev = t;
  }
  if (prev >= 0) kept.push(prev);

  const k = kept.length;
  const dk = Float64Array.from(kept, (t) => ds[t]);
  const zk = Float64Array.from(kept, (t) => zs[t]);
  const keptCol = Int32Array.from(kept, (t) => col[t]);
  let lambda: Float64Array = new Float64Array(0);
  let y: Float64Array = new Float64Array(0);
  if (k > 0) {
    const roots = secularRoots(dk, zk, rho, ctx.shape, ctx.fn);
    lambda = Float64Array.from(roots.tau, (tau, j) => dk[roots.origin[j]] + tau);
    y = multiplyKept(cols, n, n1, keptCol, support, secularVectors(dk, zk, rho, roots));
  }

  // Assemble all eigenpairs, ascending in the true (unflipped) values.
  const total = k + deflatedValue.length;
  const values = new Float64Array(total);
  for (let j = 0; j < k; j++) values[j] = sgn * lambda[j];
  for (let j = 0; j < deflatedValue.length; j++) values[k + j] = sgn * deflatedValue[j];
  const final = argsort(values);
  const vectors = new Float64Array(n * n);
  const sorted = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const src = final[p];
    sorted[p] = values[src];
    if (src < k) {
      for (let i = 0; i < n; i++) vectors[i * n + p] = y[i * k + src];
    } else {
      const c = deflatedCol[src - k] * n;
      for (let i = 0; i < n; i++) vectors[i * n + p] = cols[c + i];
    }
  }
  return { values: sorted, vectors };
}

/** Columns `a <- c a - s b`, `b <- s a + c b`: the basis change that zeroes `z_a`. */
function rotateColumns(cols: Float64Array, n: number, a: number, b: number, c: number, s: number): void {
  const oa = a * n;
  const ob = b * n;
  for (let i = 0; i < n; i++) {
    const xa = cols[oa + i];
    const xb = cols[ob + i];
    cols[oa + i] = c * xa - s * xb;
    cols[ob + i] = s * xa + c * xb;
  }
}

/**
 * `Q_K U` (`n x k`, row-major) for the kept columns `Q_K`. Columns living in
 * one half only are zero in the other, so the top and bottom halves are two
 * products over just the columns present there: about half the work of one
 * full product.
 */
function multiplyKept(
  cols: Float64Array,
  n: number,
  n1: number,
  keptCol: Int32Array,
  support: Support[],
  u: Float64Array,
): Float64Array {
  const k = keptCol.length;
  const y = new Float64Array(n * k);
  for (const [half, r0, rows] of [
    [1, 0, n1],
    [2, n1, n - n1],
  ] as const) {
    const use: number[] = [];
    for (let j = 0; j < k; j++) if (support[keptCol[j]] & half) use.push(j);
    const w = use.length;
    if (w === 0) continue;
    const q = new Float64Array(rows * w);
    const uu = new Float64Array(w * k);
    use.forEach((j, a) => {
      const c = keptCol[j] * n + r0;
      for (let i = 0; i < rows; i++) q[i * w + a] = cols[c + i];
      uu.set(u.subarray(j * k, (j + 1) * k), a * k);
    });
    gemm(rows, k, w, 1, q, 0, w, uu, 0, k, 0, y, r0 * k, k);
  }
  return y;
}
