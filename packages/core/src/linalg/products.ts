/**
 * Kronecker and Khatri-Rao products, with the row-major index order used
 * throughout (ALGORITHMS.md): in a combined row index the last factor's index
 * varies fastest.
 */
import { LinalgError } from './errors.js';
import type { Matrix } from './matrix.js';

/** `kron(A, B)[(i, k), (j, l)] = A[i, j] B[k, l]`: `(ma mb) x (na nb)`. */
export function kron(a: Matrix, b: Matrix): Matrix {
  const rows = a.rows * b.rows;
  const cols = a.cols * b.cols;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < b.rows; k++) {
      const row = (i * b.rows + k) * cols;
      for (let j = 0; j < a.cols; j++) {
        const aij = a.data[i * a.cols + j];
        const o = row + j * b.cols;
        const bo = k * b.cols;
        for (let l = 0; l < b.cols; l++) out[o + l] = aij * b.data[bo + l];
      }
    }
  }
  return { rows, cols, data: out };
}

/**
 * Column-wise Kronecker product of factors sharing `R` columns:
 * `KR(A_1..A_k)[(i_1..i_k), r] = prod_m A_m[i_m, r]`, `i_k` fastest.
 */
export function khatriRao(factors: readonly Matrix[]): Matrix {
  if (factors.length === 0) throw new LinalgError('khatriRao', [], 'needs at least one factor');
  const r = factors[0].cols;
  for (const f of factors) {
    if (f.cols !== r) {
      throw new LinalgError(
        'khatriRao',
        factors.map((g) => g.cols),
        `factors must share their column count (${r})`,
      );
    }
  }
  let acc: Float64Array = factors[0].data.slice();
  let rows = factors[0].rows;
  for (let m = 1; m < factors.length; m++) {
    const f = factors[m];
    const next = new Float64Array(rows * f.rows * r);
    for (let p = 0; p < rows; p++) {
      for (let i = 0; i < f.rows; i++) {
        const o = (p * f.rows + i) * r;
        for (let c = 0; c < r; c++) next[o + c] = acc[p * r + c] * f.data[i * r + c];
      }
    }
    acc = next;
    rows *= f.rows;
  }
  return { rows, cols: r, data: acc };
}
