import type { FloatArray } from '../../../dtype.js';

/**
 * Row-major GEMM on typed arrays: C (m x n) = op(A) (m x k) . op(B) (k x n) [+ C].
 *
 * op(A) is A, or A transposed when `transA` (then A is stored k x m). Element (i, p) of
 * op(A) sits at `aOffset + i * lda + p`, or at `aOffset + p * lda + i` when transposed;
 * likewise for B, and C's (i, j) at `cOffset + i * ldc + j`.
 */
export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  a: FloatArray;
  aOffset: number;
  lda: number;
  b: FloatArray;
  bOffset: number;
  ldb: number;
  c: FloatArray;
  cOffset: number;
  ldc: number;
  /** add to C instead of overwriting it */
  accumulate: boolean;
}

/*
 * The blocked path follows the Goto/BLIS loop nest: a KC x NC block of op(B) is packed
 * into NR-wide micro-panels (kept in L2/L3), an MC x KC block of op(A) into MR-tall
 * micro-panels (kept in L2), and a 4 x 4 micro-kernel runs over pairs of micro-panels
 * with its 16 sums in local variables. Packing also makes every transpose case the same.
 *
 * Packed panels are always Float64Array: widening float32 is exact, JS arithmetic is
 * double anyway, and a single element type keeps the micro-kernel monomorphic, which
 * measured faster in V8 than one kernel fed both array types. Sums over k therefore
 * run in double and round once per KC block when stored to a float32 C.
 *
 * Sizes were tuned on a 2-core AMD EPYC (Zen 3: 32 KiB L1d, 512 KiB L2 per core) with
 * Node 20: 4 x 4 measured best among 2x4..6x4, 4x8 (larger tiles spill registers in
 * TurboFan); unrolling the k loop made it slower.
 */
const MR = 4;
const NR = 4;
const KC = 256;
const MC = 128;
const NC = 2048;
/** below this many multiply-adds, packing costs more than it saves */
const SMALL_WORK = 24 * 24 * 24;

let packA = new Float64Array(MC * KC);
let packB = new Float64Array(KC * NC);
const tile = new Float64Array(MR * NR);
let rowBuf = new Float64Array(64);

export function gemm(args: GemmArgs): void {
  const { m, n, k } = args;
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!args.accumulate) zeroC(args);
    return;
  }
  if (m < MR || n < NR || m * n * k <= SMALL_WORK) gemmDirect(args);
  else gemmBlocked(args);
}

function zeroC({ m, n, c, cOffset, ldc }: GemmArgs): void {
  for (let i = 0; i < m; i++) c.fill(0, cOffset + i * ldc, cOffset + i * ldc + n);
}

/** Unpacked loops for small or skinny products (vectors, m or n below the tile size). */
function gemmDirect(args: GemmArgs): void {
  const { m, n, k, a, b, c, aOffset, bOffset, cOffset, ldc, accumulate } = args;
  const aRow = args.transA ? 1 : args.lda;
  const aCol = args.transA ? args.lda : 1;
  const bRow = args.transB ? 1 : args.ldb;
  const bCol = args.transB ? args.ldb : 1;
  if (bCol === 1 && n >= 8) {
    // axpy order: stream contiguous rows of B into a double row accumulator
    if (rowBuf.length < n) rowBuf = new Float64Array(n);
    const acc = rowBuf;
    for (let i = 0; i < m; i++) {
      const ci = cOffset + i * ldc;
      for (let j = 0; j < n; j++) acc[j] = accumulate ? c[ci + j] : 0;
      for (let p = 0; p < k; p++) {
        const aip = a[aOffset + i * aRow + p * aCol];
        const bp = bOffset + p * bRow;
        for (let j = 0; j < n; j++) acc[j] += aip * b[bp + j];
      }
      for (let j = 0; j < n; j++) c[ci + j] = acc[j];
    }
    return;
  }
  // dot order: one double sum per element of C
  for (let i = 0; i < m; i++) {
    const ai = aOffset + i * aRow;
    const ci = cOffset + i * ldc;
    for (let j = 0; j < n; j++) {
      const bj = bOffset + j * bCol;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p * aCol] * b[bj + p * bRow];
      c[ci + j] = accumulate ? c[ci + j] + s : s;
    }
  }
}

function gemmBlocked(args: GemmArgs): void {
  const { m, n, k } = args;
  const kcMax = Math.min(k, KC);
  const ncMax = Math.min(roundUp(n, NR), NC);
  const mcMax = Math.min(roundUp(m, MR), MC);
  if (packB.length < kcMax * ncMax) packB = new Float64Array(kcMax * ncMax);
  if (packA.length < mcMax * kcMax) packA = new Float64Array(mcMax * kcMax);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      const add = args.accumulate || pc > 0;
      packBlockB(args, pc, kc, jc, nc, packB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packBlockA(args, ic, mc, pc, kc, packA);
        macroKernel(args, ic, mc, jc, nc, kc, add);
      }
    }
  }
}

/** Packs op(A)[ic:ic+mc, pc:pc+kc] as MR-row micro-panels, each kc columns of MR values. */
function packBlockA(args: GemmArgs, ic: number, mc: number, pc: number, kc: number, dst: Float64Array): void {
  const { a, aOffset, lda } = args;
  const rs = args.transA ? 1 : lda;
  const cs = args.transA ? lda : 1;
  let q = 0;
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const rows = Math.min(MR, mc - i0);
    const base = aOffset + (ic + i0) * rs + pc * cs;
    if (rows === MR) {
      for (let p = 0, s = base; p < kc; p++, s += cs) {
        dst[q] = a[s];
        dst[q + 1] = a[s + rs];
        dst[q + 2] = a[s + 2 * rs];
        dst[q + 3] = a[s + 3 * rs];
        q += MR;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let ii = 0; ii < MR; ii++) dst[q + ii] = ii < rows ? a[base + ii * rs + p * cs] : 0;
        q += MR;
      }
    }
  }
}

/** Packs op(B)[pc:pc+kc, jc:jc+nc] as NR-column micro-panels, each kc rows of NR values. */
function packBlockB(args: GemmArgs, pc: number, kc: number, jc: number, nc: number, dst: Float64Array): void {
  const { b, bOffset, ldb } = args;
  const rs = args.transB ? 1 : ldb;
  const cs = args.transB ? ldb : 1;
  let q = 0;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const cols = Math.min(NR, nc - j0);
    const base = bOffset + pc * rs + (jc + j0) * cs;
    if (cols === NR) {
      for (let p = 0, s = base; p < kc; p++, s += rs) {
        dst[q] = b[s];
        dst[q + 1] = b[s + cs];
        dst[q + 2] = b[s + 2 * cs];
        dst[q + 3] = b[s + 3 * cs];
        q += NR;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let jj = 0; jj < NR; jj++) dst[q + jj] = jj < cols ? b[base + p * rs + jj * cs] : 0;
        q += NR;
      }
    }
  }
}

function macroKernel(
  args: GemmArgs,
  ic: number,
  mc: number,
  jc: number,
  nc: number,
  kc: number,
  add: boolean,
): void {
  const { c, cOffset, ldc } = args;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const bi = j0 * kc;
    const cols = Math.min(NR, nc - j0);
    for (let i0 = 0; i0 < mc; i0 += MR) {
      microKernel(kc, packA, i0 * kc, packB, bi, tile);
      const rows = Math.min(MR, mc - i0);
      storeTile(c, cOffset + (ic + i0) * ldc + jc + j0, ldc, rows, cols, add);
    }
  }
}

/** T = A-panel . B-panel over kc, with the 4 x 4 sums held in locals. */
// biome-ignore format: the statements are laid out as the 4 x 4 tile
function microKernel(kc: number, a: Float64Array, ai: number, b: Float64Array, bi: number, t: Float64Array): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = a[ai], a1 = a[ai + 1], a2 = a[ai + 2], a3 = a[ai + 3];
    const b0 = b[bi], b1 = b[bi + 1], b2 = b[bi + 2], b3 = b[bi + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ai += MR;
    bi += NR;
  }
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
  t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
  t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
  t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
}

/** Writes (or adds) the valid rows x cols corner of the tile into C. */
function storeTile(c: FloatArray, ci: number, ldc: number, rows: number, cols: number, add: boolean): void {
  const t = tile;
  if (rows === MR && cols === NR) {
    for (let r = 0; r < MR; r++, ci += ldc) {
      const tr = r * NR;
      if (add) {
        c[ci] += t[tr];
        c[ci + 1] += t[tr + 1];
        c[ci + 2] += t[tr + 2];
        c[ci + 3] += t[tr + 3];
      } else {
        c[ci] = t[tr];
        c[ci + 1] = t[tr + 1];
        c[ci + 2] = t[tr + 2];
        c[ci + 3] = t[tr + 3];
      }
    }
    return;
  }
  for (let r = 0; r < rows; r++, ci += ldc) {
    for (let j = 0; j < cols; j++) c[ci + j] = add ? c[ci + j] + t[r * NR + j] : t[r * NR + j];
  }
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}
