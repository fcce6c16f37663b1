/**
 * The matrix-multiply kernel every blocked algorithm here sits on:
 * `C = beta*C + alpha*A*B` on row-major sub-matrices given by offset and
 * leading dimension (the row stride), so callers multiply views of larger
 * buffers (trailing blocks in QR, slices of a tensor) without copying.
 *
 * Speed in plain JavaScript comes from two things: cache blocking (a
 * `KC x NC` panel of B stays in L2 while every row of A passes over it) and a
 * 4x4 register block (four rows of C are updated together from four rows of B,
 * so each loaded B value feeds four multiply-adds).
 */

const KC = 128;
const NC = 512;

export function gemm(
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float64Array,
  aOff: number,
  lda: number,
  b: Float64Array,
  bOff: number,
  ldb: number,
  beta: number,
  c: Float64Array,
  cOff: number,
  ldc: number,
): void {
  if (beta !== 1) {
    for (let i = 0; i < m; i++) {
      const row = cOff + i * ldc;
      if (beta === 0) c.fill(0, row, row + n);
      else for (let j = row; j < row + n; j++) c[j] *= beta;
    }
  }
  if (alpha === 0 || k === 0) return;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const p1 = Math.min(k, p0 + KC);
    for (let j0 = 0; j0 < n; j0 += NC) {
      const j1 = Math.min(n, j0 + NC);
      let i = 0;
      for (; i + 4 <= m; i += 4) block4(i, p0, p1, j0, j1, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
      for (; i < m; i++) block1(i, p0, p1, j0, j1, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    }
  }
}

/** Four rows of C over columns `[j0, j1)`, accumulating `A[i..i+3, p0..p1) * B[p0..p1, j0..j1)`. */
function block4(
  i: number,
  p0: number,
  p1: number,
  j0: number,
  j1: number,
  alpha: number,
  a: Float64Array,
  aOff: number,
  lda: number,
  b: Float64Array,
  bOff: number,
  ldb: number,
  c: Float64Array,
  cOff: number,
  ldc: number,
): void {
  const c0 = cOff + i * ldc;
  const c1 = c0 + ldc;
  const c2 = c1 + ldc;
  const c3 = c2 + ldc;
  const r0 = aOff + i * lda;
  const r1 = r0 + lda;
  const r2 = r1 + lda;
  const r3 = r2 + lda;
  let p = p0;
  for (; p + 4 <= p1; p += 4) {
    const a00 = alpha * a[r0 + p],
      a01 = alpha * a[r0 + p + 1],
      a02 = alpha * a[r0 + p + 2],
      a03 = alpha * a[r0 + p + 3];
    const a10 = alpha * a[r1 + p],
      a11 = alpha * a[r1 + p + 1],
      a12 = alpha * a[r1 + p + 2],
      a13 = alpha * a[r1 + p + 3];
    const a20 = alpha * a[r2 + p],
      a21 = alpha * a[r2 + p + 1],
      a22 = alpha * a[r2 + p + 2],
      a23 = alpha * a[r2 + p + 3];
    const a30 = alpha * a[r3 + p],
      a31 = alpha * a[r3 + p + 1],
      a32 = alpha * a[r3 + p + 2],
      a33 = alpha * a[r3 + p + 3];
    const b0 = bOff + p * ldb;
    const b1 = b0 + ldb;
    const b2 = b1 + ldb;
    const b3 = b2 + ldb;
    for (let j = j0; j < j1; j++) {
      const x0 = b[b0 + j];
      const x1 = b[b1 + j];
      const x2 = b[b2 + j];
      const x3 = b[b3 + j];
      c[c0 + j] += a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3;
      c[c1 + j] += a10 * x0 + a11 * x1 + a12 * x2 + a13 * x3;
      c[c2 + j] += a20 * x0 + a21 * x1 + a22 * x2 + a23 * x3;
      c[c3 + j] += a30 * x0 + a31 * x1 + a32 * x2 + a33 * x3;
    }
  }
  for (; p < p1; p++) {
    const a0 = alpha * a[r0 + p],
      a1 = alpha * a[r1 + p],
      a2 = alpha * a[r2 + p],
      a3 = alpha * a[r3 + p];
    const bp = bOff + p * ldb;
    for (let j = j0; j < j1; j++) {
      const x = b[bp + j];
      c[c0 + j] += a0 * x;
      c[c1 + j] += a1 * x;
      c[c2 + j] += a2 * x;
      c[c3 + j] += a3 * x;
    }
  }
}

/** One row of C: the tail when the row count is not a multiple of four. */
function block1(
  i: number,
  p0: number,
  p1: number,
  j0: number,
  j1: number,
  alpha: number,
  a: Float64Array,
  aOff: number,
  lda: number,
  b: Float64Array,
  bOff: number,
  ldb: number,
  c: Float64Array,
  cOff: number,
  ldc: number,
): void {
  const ci = cOff + i * ldc;
  const ri = aOff + i * lda;
  let p = p0;
  for (; p + 4 <= p1; p += 4) {
    const a0 = alpha * a[ri + p],
      a1 = alpha * a[ri + p + 1],
      a2 = alpha * a[ri + p + 2],
      a3 = alpha * a[ri + p + 3];
    const b0 = bOff + p * ldb;
    const b1 = b0 + ldb;
    const b2 = b1 + ldb;
    const b3 = b2 + ldb;
    for (let j = j0; j < j1; j++) {
      c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
    }
  }
  for (; p < p1; p++) {
    const ap = alpha * a[ri + p];
    const bp = bOff + p * ldb;
    for (let j = j0; j < j1; j++) c[ci + j] += ap * b[bp + j];
  }
}
