import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gemm, useWasmMicroKernel } from '../../../src/backends/cpu/kernels/gemm.js';
import { expectClose, type FloatCtor, randomArray } from './helpers.js';

/*
 * Tolerances: every C entry is compared with a double-precision reference, to
 * tol * max(1, sum_p |a_ip b_pj| + |c_ij|): tol = 1e-13 for float64 (the kernel sums in
 * double, in a different order) and (k + 2) * 2^-24 for float32, the standard bound for
 * a float32 sum of k products plus the add to C and the final rounding (the wasm kernel
 * sums float32 operands in float32, as BLAS sgemm does).
 */

interface Case {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  aOffset: number;
  bOffset: number;
  cOffset: number;
  /** extra elements per row beyond the matrix width */
  padA: number;
  padB: number;
  padC: number;
  accumulate: boolean;
  f64: boolean;
  seed: number;
}

function runCase(t: Case): void {
  const ctor: FloatCtor = t.f64 ? Float64Array : Float32Array;
  const tol = t.f64 ? 1e-13 : (t.k + 2) * 2 ** -24;
  const [aRows, aCols] = t.transA ? [t.k, t.m] : [t.m, t.k];
  const [bRows, bCols] = t.transB ? [t.n, t.k] : [t.k, t.n];
  const lda = aCols + t.padA;
  const ldb = bCols + t.padB;
  const ldc = t.n + t.padC;
  const a = randomArray(ctor, t.aOffset + aRows * lda, t.seed);
  const b = randomArray(ctor, t.bOffset + bRows * ldb, t.seed + 1);
  const c = randomArray(ctor, t.cOffset + t.m * ldc + 3, t.seed + 2);
  const before = c.slice();
  gemm({ ...t, a, lda, b, ldb, c, ldc });

  const want: number[] = [];
  const got: number[] = [];
  const scale: number[] = [];
  for (let i = 0; i < t.m; i++) {
    for (let j = 0; j < t.n; j++) {
      const ci = t.cOffset + i * ldc + j;
      let s = t.accumulate ? before[ci] : 0;
      let mag = Math.abs(s);
      for (let p = 0; p < t.k; p++) {
        const aip = t.transA ? a[t.aOffset + p * lda + i] : a[t.aOffset + i * lda + p];
        const bpj = t.transB ? b[t.bOffset + j * ldb + p] : b[t.bOffset + p * ldb + j];
        s += aip * bpj;
        mag += Math.abs(aip * bpj);
      }
      want.push(s);
      got.push(c[ci]);
      scale.push(mag);
    }
  }
  expectClose(got, want, tol, scale);
  // nothing outside the m x n window of C moves
  for (let idx = 0; idx < c.length; idx++) {
    const r = Math.floor((idx - t.cOffset) / ldc);
    const col = idx - t.cOffset - r * ldc;
    const inside = idx >= t.cOffset && r < t.m && col < t.n;
    if (!inside) expect(c[idx]).toBe(before[idx]);
  }
}

const caseArb = (maxDim: number): fc.Arbitrary<Case> =>
  fc.record({
    transA: fc.boolean(),
    transB: fc.boolean(),
    m: fc.integer({ min: 0, max: maxDim }),
    n: fc.integer({ min: 0, max: maxDim }),
    k: fc.integer({ min: 0, max: maxDim }),
    aOffset: fc.integer({ min: 0, max: 5 }),
    bOffset: fc.integer({ min: 0, max: 5 }),
    cOffset: fc.integer({ min: 0, max: 5 }),
    padA: fc.integer({ min: 0, max: 3 }),
    padB: fc.integer({ min: 0, max: 3 }),
    padC: fc.integer({ min: 0, max: 3 }),
    accumulate: fc.boolean(),
    f64: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1 << 30 }),
  });

describe.each([
  ['WebAssembly SIMD', true],
  ['JavaScript', false],
])('gemm with the %s micro-kernel', (_, wasm) => {
  beforeAll(() => {
    // Node 20 has wasm SIMD, so both kernels must be exercised here
    expect(useWasmMicroKernel(wasm)).toBe(wasm);
  });
  afterAll(() => {
    useWasmMicroKernel(true);
  });

  it('matches the naive product for all transposes, offsets and leading dimensions', () => {
    fc.assert(fc.property(caseArb(40), runCase), { numRuns: 300 });
  });

  it('handles the degenerate sizes 0 and 1 in every position', () => {
    fc.assert(
      fc.property(caseArb(1), fc.integer({ min: 1, max: 20 }), (t, big) => {
        // one dimension free to be large, the others 0 or 1
        runCase({ ...t, k: t.k === 1 ? big : t.k });
        runCase({ ...t, n: t.n === 1 ? big : t.n });
        runCase({ ...t, m: t.m === 1 ? big : t.m });
      }),
      { numRuns: 100 },
    );
  });

  it('crosses the cache-block boundaries (k > 256, m > 128, n > 2048)', () => {
    const base = { aOffset: 3, bOffset: 1, cOffset: 2, padA: 1, padB: 2, padC: 1, seed: 7 };
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        runCase({ ...base, transA, transB, m: 131, n: 37, k: 517, accumulate: true, f64: true });
        runCase({ ...base, transA, transB, m: 6, n: 2061, k: 5, accumulate: false, f64: false });
      }
    }
  });

  it('overwrites C when k = 0 and accumulate is false, and leaves it when true', () => {
    const c = new Float32Array([1, 2, 3, 4]);
    const args = {
      transA: false,
      transB: false,
      m: 2,
      n: 2,
      k: 0,
      a: new Float32Array(0),
      aOffset: 0,
      lda: 0,
    };
    const rest = { b: new Float32Array(0), bOffset: 0, ldb: 2, c, cOffset: 0, ldc: 2 };
    gemm({ ...args, ...rest, accumulate: true });
    expect([...c]).toEqual([1, 2, 3, 4]);
    gemm({ ...args, ...rest, accumulate: false });
    expect([...c]).toEqual([0, 0, 0, 0]);
  });

  it.each([4, 32])('propagates NaN and Infinity like the plain sum (size %i)', (s) => {
    const a = new Float64Array(s * s).fill(1);
    a[0] = 0;
    const b = new Float64Array(s * s).fill(1);
    b[0] = Number.POSITIVE_INFINITY;
    const c = new Float64Array(s * s);
    gemm({
      transA: false,
      transB: false,
      m: s,
      n: s,
      k: s,
      a,
      aOffset: 0,
      lda: s,
      b,
      bOffset: 0,
      ldb: s,
      c,
      cOffset: 0,
      ldc: s,
      accumulate: false,
    });
    expect(c[0]).toBeNaN(); // 0 * Infinity
    expect(c[s]).toBe(Number.POSITIVE_INFINITY);
    expect(c[1]).toBe(s - 1);
  });
});

describe('gemm micro-kernels', () => {
  it('WebAssembly and JavaScript give bit-identical results (same doubles, same order)', () => {
    const m = 37;
    const n = 29;
    const k = 300;
    const a = randomArray(Float64Array, m * k, 1);
    const b = randomArray(Float64Array, k * n, 2);
    const run = (wasm: boolean): Float64Array => {
      useWasmMicroKernel(wasm);
      const c = new Float64Array(m * n);
      gemm({
        transA: false,
        transB: true,
        m,
        n,
        k,
        a,
        aOffset: 0,
        lda: k,
        b,
        bOffset: 0,
        ldb: k,
        c,
        cOffset: 0,
        ldc: n,
        accumulate: false,
      });
      return c;
    };
    const viaJs = run(false);
    const viaWasm = run(true);
    expect(viaWasm).toEqual(viaJs);
  });
});
