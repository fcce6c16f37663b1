/**
 * The GEMM micro-kernels as a WebAssembly module using 128-bit SIMD, written out byte by
 * byte below (no toolchain): TurboFan compiles scalar JS to one double per instruction
 * with a bounds check per load, while these run two doubles or four floats per
 * instruction and measured 3-4x (f64x2) and 6-7x (f32x4) faster on the same panels.
 *
 * `f64(kc, a, b, t)` reads an MR-row A micro-panel at byte `a` (kc steps of 4 values)
 * and an NR-column B micro-panel at byte `b` (kc steps of 4 values) from `memory`, and
 * writes their 4 x 4 product, row-major, at byte `t`: IEEE double, one multiply then one
 * add per term in k order, exactly as the JS kernel does it. `f32` is the same on
 * float32 panels with float32 sums (rounded at every add, as BLAS sgemm does).
 */
export interface WasmMicroKernels {
  memory: WebAssembly.Memory;
  f64(kc: number, a: number, b: number, t: number): void;
  f32(kc: number, a: number, b: number, t: number): void;
  /** two B micro-panels at once (8 accumulators instead of 4, 25% faster): tiles at t and t + 64 */
  f32x2(kc: number, a: number, b0: number, b1: number, t: number): void;
}

/** The kernels over a fresh memory of `bytes` (rounded up to 64 KiB pages), or null where wasm SIMD is missing. */
export function createWasmMicroKernels(bytes: number): WasmMicroKernels | null {
  if (typeof WebAssembly !== 'object') return null;
  const code = moduleBytes(Math.ceil(bytes / 65536));
  if (!WebAssembly.validate(code)) return null;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(code), {});
  const { memory, f64, f32, f32x2 } = instance.exports as unknown as WasmMicroKernels;
  return { memory, f64, f32, f32x2 };
}

// opcodes (WebAssembly core spec 2.0, SIMD proposal)
const I32 = 0x7f;
const V128 = 0x7b;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_CONST = 0x41;
const I32_EQZ = 0x45;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const F32_LOAD = 0x2a;
const F64_LOAD = 0x2b;
const BLOCK = 0x02;
const LOOP = 0x03;
const BR = 0x0c;
const BR_IF = 0x0d;
const END = 0x0b;
const VOID = 0x40;
const SIMD = 0xfd;
const V128_LOAD = 0x00;
const V128_STORE = 0x0b;
const F32X4_SPLAT = 0x13;
const F64X2_SPLAT = 0x14;
const F32X4_ADD = 0xe4;
const F32X4_MUL = 0xe6;
const F64X2_ADD = 0xf0;
const F64X2_MUL = 0xf2;

/** One element type: its scalar load (with log2 alignment), SIMD ops and lanes per 128 bits. */
interface Lanes {
  load: number;
  align: number;
  bytes: number;
  splat: number;
  add: number;
  mul: number;
  /** 128-bit vectors per 4-wide tile row */
  perRow: number;
}

const F64: Lanes = {
  load: F64_LOAD,
  align: 3,
  bytes: 8,
  splat: F64X2_SPLAT,
  add: F64X2_ADD,
  mul: F64X2_MUL,
  perRow: 2,
};
const F32: Lanes = {
  load: F32_LOAD,
  align: 2,
  bytes: 4,
  splat: F32X4_SPLAT,
  add: F32X4_ADD,
  mul: F32X4_MUL,
  perRow: 1,
};

const KC = 0;
const A = 1;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 for the small non-negative constants used here. */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function simd(op: number): number[] {
  return [SIMD, ...uleb(op)];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];
}

/**
 * The kernel body for one element type. Locals after the 4 parameters: the 4 x perRow
 * accumulators (row i, vector j), the perRow B vectors of the current k, one splat A value.
 */
/**
 * The kernel body for one element type over `panels` B micro-panels side by side.
 * Parameters: kc, a, one address per B panel, t. Locals after them: the accumulators
 * (row i, panel p, vector j), the B vectors of the current k, one splat A value.
 */
function body(e: Lanes, panels: number): number[] {
  const v = e.perRow;
  const bAt = (p: number): number => 2 + p;
  const t = 2 + panels;
  const first = t + 1;
  const nAcc = 4 * panels * v;
  const acc = (i: number, p: number, j: number): number => first + (i * panels + p) * v + j;
  const bVec = (p: number, j: number): number => first + nAcc + p * v + j;
  const aSplat = first + nAcc + panels * v;
  const step = 4 * e.bytes;
  const b: number[] = [];
  // while (kc != 0) { ...; a += step; each b += step; kc -= 1 }
  b.push(BLOCK, VOID, LOOP, VOID);
  b.push(LOCAL_GET, KC, I32_EQZ, BR_IF, 1);
  for (let p = 0; p < panels; p++) {
    for (let j = 0; j < v; j++)
      b.push(LOCAL_GET, bAt(p), ...simd(V128_LOAD), 4, ...uleb(16 * j), LOCAL_SET, bVec(p, j));
  }
  for (let i = 0; i < 4; i++) {
    b.push(LOCAL_GET, A, e.load, e.align, ...uleb(e.bytes * i), ...simd(e.splat), LOCAL_SET, aSplat);
    for (let p = 0; p < panels; p++) {
      for (let j = 0; j < v; j++) {
        b.push(
          LOCAL_GET,
          acc(i, p, j),
          LOCAL_GET,
          aSplat,
          LOCAL_GET,
          bVec(p, j),
          ...simd(e.mul),
          ...simd(e.add),
        );
        b.push(LOCAL_SET, acc(i, p, j));
      }
    }
  }
  for (let x = 1; x <= 1 + panels; x++) b.push(LOCAL_GET, x, I32_CONST, ...sleb(step), I32_ADD, LOCAL_SET, x);
  b.push(LOCAL_GET, KC, I32_CONST, 1, I32_SUB, LOCAL_SET, KC);
  b.push(BR, 0, END, END);
  // panel p's 4 x 4 tile, row-major, at t + p * 16 elements
  for (let p = 0; p < panels; p++) {
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < v; j++) {
        const at = p * 16 * e.bytes + 16 * (v * i + j);
        b.push(LOCAL_GET, t, LOCAL_GET, acc(i, p, j), ...simd(V128_STORE), 4, ...uleb(at));
      }
    }
  }
  b.push(END);
  const locals = vector([[nAcc + panels * v + 1, V128]]);
  return [...uleb(locals.length + b.length), ...locals, ...b];
}

/** Type 0: (kc, a, b, t); type 1: (kc, a, b0, b1, t). */
function moduleBytes(pages: number): Uint8Array<ArrayBuffer> {
  const params = (count: number): number[] => [
    0x60,
    ...vector(Array.from({ length: count }, () => [I32])),
    ...vector([]),
  ];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector([params(4), params(5)])),
    ...section(3, vector([[0], [0], [1]])),
    ...section(5, vector([[0x00, ...uleb(pages)]])),
    ...section(
      7,
      vector([
        [...name('memory'), 0x02, 0],
        [...name('f64'), 0x00, 0],
        [...name('f32'), 0x00, 1],
        [...name('f32x2'), 0x00, 2],
      ]),
    ),
    ...section(10, vector([body(F64, 1), body(F32, 1), body(F32, 2)])),
  ];
  return new Uint8Array(bytes);
}
