/**
 * The matrix-multiply every blocked algorithm here sits on: `C = beta*C +
 * alpha*A*B` on row-major sub-matrices given by offset and leading dimension (the
 * row stride), so callers multiply views of larger buffers (trailing blocks in QR,
 * slices of a tensor) without copying. The product itself is the CPU backend's
 * blocked GEMM (WebAssembly SIMD micro-kernel where available); this adapter adds
 * the BLAS-style scaling.
 */
import { gemm as blockedGemm } from '../backends/cpu/kernels/gemm.js';

let scratch = new Float64Array(0);

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
  if (m <= 0 || n <= 0) return;
  if (beta !== 1) {
    for (let i = 0; i < m; i++) {
      const row = cOff + i * ldc;
      if (beta === 0) c.fill(0, row, row + n);
      else for (let j = row; j < row + n; j++) c[j] *= beta;
    }
  }
  if (alpha === 0 || k === 0) return;
  const args = { transA: false, transB: false, m, n, k, a, aOffset: aOff, lda, b, bOffset: bOff, ldb };
  if (alpha === 1) {
    blockedGemm({ ...args, c, cOffset: cOff, ldc, accumulate: true });
    return;
  }
  // Other scalings (alpha = -1 in the blocked Cholesky and WY updates): product into scratch, then scale-add.
  if (scratch.length < m * n) scratch = new Float64Array(m * n);
  blockedGemm({ ...args, c: scratch, cOffset: 0, ldc: n, accumulate: false });
  for (let i = 0; i < m; i++) {
    const row = cOff + i * ldc;
    for (let j = 0; j < n; j++) c[row + j] += alpha * scratch[i * n + j];
  }
}
