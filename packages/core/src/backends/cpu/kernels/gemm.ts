import type { FloatArray } from '../../../dtype.js';
import { createWasmMicroKernels, type WasmMicroKernels } from './wasm-microkernel.js';

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
 * with its 16 sums in registers. Packing also makes every transpose case the same.
 *
 * The micro-kernel is WebAssembly SIMD where the platform has it (wasm-microkernel.ts),
 * reading the panels in place from its memory: float32 operands are packed as float32
 * and summed in float32 (f32x4, two B micro-panels per call; as BLAS sgemm, sums round
 * to float32), anything else is packed as float64 and summed in double (f64x2). Without wasm SIMD, a JS kernel sums float64 panels in
 * double (JS arithmetic is double anyway; widening float32 is exact), in the same order
 * as the f64x2 kernel, so float64 results do not depend on which kernel ran.
 *
 * Sizes were tuned on a 2-core AMD EPYC (Zen 3: 32 KiB L1d, 512 KiB L2 per core) with
 * Node 20: for the JS kernel 4 x 4 measured best among 2x4..6x4 and 4x8 (larger tiles
 * spill registers in TurboFan) and unrolling the k loop made it slower; KC and MC
 * between 64 and 512 were within the machine's noise for the JS kernel, and with the
 * wasm kernel KC = 256 with MC = 64..128 measured best, matching the cache sizes:
 * an A and a B micro-panel (KC x 4 doubles, 8 KiB each) share L1, an MC x KC block of
 * A (256 KiB) stays in L2.
 */
const MR = 4;
const NR = 4;
const KC = 256;
const MC = 128;
const NC = 2048;

/** Where the kernels read and write: views of the wasm memory (or a plain buffer) per element type. */
interface Panels {
  packA: FloatArray;
  packB: FloatArray;
  tile: FloatArray;
}

interface Workspace {
  wasm: WasmMicroKernels | null;
  f64: Panels & { packA: Float64Array; packB: Float64Array; tile: Float64Array };
  f32: Panels;
}

const TILE_AT = 0;
const A_AT = TILE_AT + MR * NR * 8;
const B_AT = A_AT + MC * KC * 8;
const WORKSPACE_BYTES = B_AT + KC * NC * 8;

let workspace: Workspace | undefined;
let wasmEnabled = true;
let rowBuf = new Float64Array(64);

/** Made on first use: 4.4 MB that a program without a large product never needs. */
function getWorkspace(): Workspace {
  if (!workspace) {
    const wasm = createWasmMicroKernels(WORKSPACE_BYTES);
    const buffer = wasm ? wasm.memory.buffer : new ArrayBuffer(WORKSPACE_BYTES);
    workspace = {
      wasm,
      f64: {
        tile: new Float64Array(buffer, TILE_AT, MR * NR),
        packA: new Float64Array(buffer, A_AT, MC * KC),
        packB: new Float64Array(buffer, B_AT, KC * NC),
      },
      f32: {
        // two 4 x 4 tiles, for f32x2, in the bytes of one float64 tile
        tile: new Float32Array(buffer, TILE_AT, 2 * MR * NR),
        packA: new Float32Array(buffer, A_AT, MC * KC),
        packB: new Float32Array(buffer, B_AT, KC * NC),
      },
    };
  }
  return workspace;
}

/**
 * Chooses the micro-kernel: WebAssembly SIMD when `enabled` and available, else JS.
 * Returns whether the wasm kernels are now in use. For tests and benchmarks of both paths.
 */
export function useWasmMicroKernel(enabled: boolean): boolean {
  wasmEnabled = enabled;
  return enabled && getWorkspace().wasm !== null;
}

export function gemm(args: GemmArgs): void {
  const { m, n, k } = args;
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!args.accumulate) zeroC(args);
    return;
  }
  // packing pays off from a single tile on (measured down to 4 x 4 x 4); thinner products run unpacked
  if (m < MR || n < NR) gemmDirect(args);
  else gemmBlocked(args);
}

function zeroC({ m, n, c, cOffset, ldc }: GemmArgs): void {
  for (let i = 0; i < m; i++) c.fill(0, cOffset + i * ldc, cOffset + i * ldc + n);
}

/** Unpacked loops for products thinner than a tile (matrix-vector and the like). */
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

/**
 * The micro-kernel for one product: wasm on float32 or float64 panels, or the JS kernel.
 * With `pair` it also multiplies the next B micro-panel, into the tile's second half.
 */
type MicroKernel = (kc: number, ai: number, bi: number, pair: boolean) => void;

function gemmBlocked(args: GemmArgs): void {
  const { m, n, k } = args;
  const ws = getWorkspace();
  const wasm = wasmEnabled ? ws.wasm : null;
  const single = wasm !== null && args.a instanceof Float32Array && args.b instanceof Float32Array;
  const panels: Panels = single ? ws.f32 : ws.f64;
  const { f64 } = ws;
  const kernel: MicroKernel = !wasm
    ? (kc, ai, bi) => microKernel(kc, f64.packA, ai, f64.packB, bi, f64.tile)
    : single
      ? (kc, ai, bi, pair) =>
          pair
            ? wasm.f32x2(kc, A_AT + ai * 4, B_AT + bi * 4, B_AT + (bi + NR * kc) * 4, TILE_AT)
            : wasm.f32(kc, A_AT + ai * 4, B_AT + bi * 4, TILE_AT)
      : (kc, ai, bi) => wasm.f64(kc, A_AT + ai * 8, B_AT + bi * 8, TILE_AT);
  const pairs = single;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      const add = args.accumulate || pc > 0;
      packBlockB(args, pc, kc, jc, nc, panels.packB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packBlockA(args, ic, mc, pc, kc, panels.packA);
        macroKernel(args, kernel, pairs, panels.tile, ic, mc, jc, nc, kc, add);
      }
    }
  }
}

/** Packs op(A)[ic:ic+mc, pc:pc+kc] as MR-row micro-panels, each kc columns of MR values. */
function packBlockA(args: GemmArgs, ic: number, mc: number, pc: number, kc: number, dst: FloatArray): void {
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
function packBlockB(args: GemmArgs, pc: number, kc: number, jc: number, nc: number, dst: FloatArray): void {
  const { b, bOffset, ldb } = args;
  const rs = args.transB ? 1 : ldb;
  const cs = args.transB ? ldb : 1;
  let q = 0;
  let j0 = 0;
  if (cs === 1 && kc < KC) {
    // rows of B are contiguous: read them in order, each 4 values to its panel. Measured
    // 1.05-1.4x faster on conv GEMMs (short k, few rows of A, so packing B is much of the
    // work); on the full-depth blocks of large products, whose panels lie 4 * KC apart,
    // the column-panel order below was as fast or faster

    j0 = nc - (nc % NR);
    const panelStride = NR * kc;
    for (let p = 0; p < kc; p++) {
      const end = p * NR + (j0 / NR) * panelStride;
      for (let s = bOffset + (pc + p) * rs + jc, d = p * NR; d < end; s += NR, d += panelStride) {
        dst[d] = b[s];
        dst[d + 1] = b[s + 1];
        dst[d + 2] = b[s + 2];
        dst[d + 3] = b[s + 3];
      }
    }
    q = (j0 / NR) * panelStride;
  }
  for (; j0 < nc; j0 += NR) {
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
  kernel: MicroKernel,
  pairs: boolean,
  tile: FloatArray,
  ic: number,
  mc: number,
  jc: number,
  nc: number,
  kc: number,
  add: boolean,
): void {
  const { c, cOffset, ldc } = args;
  for (let j0 = 0; j0 < nc; j0 += pairs ? 2 * NR : NR) {
    const pair = pairs && j0 + NR < nc;
    for (let i0 = 0; i0 < mc; i0 += MR) {
      kernel(kc, i0 * kc, j0 * kc, pair);
      const rows = Math.min(MR, mc - i0);
      const ci = cOffset + (ic + i0) * ldc + jc + j0;
      storeTile(tile, 0, c, ci, ldc, rows, Math.min(NR, nc - j0), add);
      if (pair) storeTile(tile, MR * NR, c, ci + NR, ldc, rows, Math.min(NR, nc - j0 - NR), add);
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

/** Writes (or adds) the valid rows x cols corner of the 4 x 4 tile at `t[at]` into C. */
function storeTile(
  t: FloatArray,
  at: number,
  c: FloatArray,
  ci: number,
  ldc: number,
  rows: number,
  cols: number,
  add: boolean,
): void {
  if (rows === MR && cols === NR) {
    for (let r = 0; r < MR; r++, ci += ldc) {
      const tr = at + r * NR;
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
    for (let j = 0; j < cols; j++) c[ci + j] = add ? c[ci + j] + t[at + r * NR + j] : t[at + r * NR + j];
  }
}
