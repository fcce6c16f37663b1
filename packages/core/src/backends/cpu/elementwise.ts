import { allocArray, type DataArray, type DType, promoteTypes } from '../../dtype.js';
import type { BinaryOp, UnaryOp } from '../../kernels.js';
import { broadcastShapes, broadcastStrides, type Shape, shapesEqual } from '../../shape.js';
import {
  ARITHMETIC_LOOPS,
  ARITHMETIC_UNARY_LOOPS,
  type BinaryLoops,
  type UnaryLoop,
} from './arithmetic-loops.js';
import { coalesceAxes, forEachRow } from './strided.js';

type Fn1 = (x: number) => number;
type Fn2 = (a: number, b: number) => number;

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * erf(x) = 2x/sqrt(pi) e^{-x^2} sum_n (2x^2)^n / (1*3*...*(2n+1)): all terms positive,
 * so no cancellation; float64-accurate. |erf| rounds to 1 beyond |x| = 6.
 */
export function erfScalar(x: number): number {
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  const x2 = x * x;
  let term = 1;
  let total = 1;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    total += term;
    if (term < total * 1e-17) break;
  }
  return ((2 * x) / Math.sqrt(Math.PI)) * Math.exp(-x2) * total;
}

/** Rounds halves to even, as PyTorch, NumPy and WGSL's round() (Math.round rounds them up). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const UNARY: Record<UnaryOp, Fn1> = {
  neg: (x) => -x,
  abs: Math.abs,
  sign: Math.sign,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  square: (x) => x * x,
  reciprocal: (x) => 1 / x,
  sin: Math.sin,
  cos: Math.cos,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  relu: (x) => (x > 0 ? x : 0),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
  gelu: (x) => 0.5 * x * (1 + erfScalar(x * SQRT1_2)),
  geluGrad: (x) => 0.5 * (1 + erfScalar(x * SQRT1_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x),
  erf: erfScalar,
};

const BINARY: Record<BinaryOp, Fn2> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: (a, b) => (a >= b || Number.isNaN(a) ? a : b),
  minimum: (a, b) => (a <= b || Number.isNaN(a) ? a : b),
  equal: (a, b) => (a === b ? 1 : 0),
  notEqual: (a, b) => (a !== b ? 1 : 0),
  less: (a, b) => (a < b ? 1 : 0),
  lessEqual: (a, b) => (a <= b ? 1 : 0),
  greater: (a, b) => (a > b ? 1 : 0),
  greaterEqual: (a, b) => (a >= b ? 1 : 0),
};

/** Ops that map integers to integers keep int32; the rest produce float32 from int32. */
const INT_PRESERVING = new Set<UnaryOp>(['neg', 'abs', 'sign', 'square', 'floor', 'ceil', 'round', 'relu']);

// Generic loops from a per-op callback, for the ops without written-out loops (arithmetic-loops.ts).
function makeUnaryLoop(f: Fn1): UnaryLoop {
  return (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  };
}
function makeBinaryLoops(f: Fn2): BinaryLoops {
  return {
    same(a, b, out) {
      for (let i = 0; i < out.length; i++) out[i] = f(a[i], b[i]);
    },
    scalarB(a, s, out) {
      for (let i = 0; i < out.length; i++) out[i] = f(a[i], s);
    },
    scalarA(s, b, out) {
      for (let i = 0; i < out.length; i++) out[i] = f(s, b[i]);
    },
    strided(a, ia, sa, b, ib, sb, out, o, n) {
      for (let i = 0; i < n; i++) out[o + i] = f(a[ia + i * sa], b[ib + i * sb]);
    },
  };
}

const UNARY_LOOPS = {
  ...Object.fromEntries(Object.entries(UNARY).map(([k, f]) => [k, makeUnaryLoop(f)])),
  ...ARITHMETIC_UNARY_LOOPS,
} as Record<UnaryOp, UnaryLoop>;
const BINARY_LOOPS = {
  ...Object.fromEntries(Object.entries(BINARY).map(([k, f]) => [k, makeBinaryLoops(f)])),
  ...ARITHMETIC_LOOPS,
} as Record<BinaryOp, BinaryLoops>;

export function unaryOutDtype(op: UnaryOp, dtype: DType): DType {
  return dtype === 'int32' && !INT_PRESERVING.has(op) ? 'float32' : dtype;
}

export function unary(op: UnaryOp, x: DataArray, dtype: DType): DataArray {
  const out = allocArray(unaryOutDtype(op, dtype), x.length);
  UNARY_LOOPS[op](x, out);
  return out;
}

export function binary(
  op: BinaryOp,
  a: DataArray,
  aShape: Shape,
  aType: DType,
  b: DataArray,
  bShape: Shape,
  bType: DType,
): { values: DataArray; shape: number[]; dtype: DType } {
  const shape = broadcastShapes(aShape, bShape, op);
  const dtype =
    op === 'div' && aType === 'int32' && bType === 'int32' ? 'float32' : promoteTypes(aType, bType);
  const out = allocArray(dtype, a.length === 0 || b.length === 0 ? 0 : shape.reduce((p, d) => p * d, 1));
  const loops = BINARY_LOOPS[op];
  if (shapesEqual(aShape, bShape)) loops.same(a, b, out);
  else if (b.length === 1 && out.length === a.length) loops.scalarB(a, b[0], out);
  else if (a.length === 1 && out.length === b.length) loops.scalarA(a[0], b, out);
  else {
    const walk = coalesceAxes(shape, [broadcastStrides(aShape, shape), broadcastStrides(bShape, shape)]);
    const [sa, sb] = walk.strides;
    const last = walk.shape.length - 1;
    forEachRow(walk.shape, walk.strides, (o, [ia, ib], n) =>
      loops.strided(a, ia, sa[last] ?? 0, b, ib, sb[last] ?? 0, out, o, n),
    );
  }
  return { values: out, shape, dtype };
}

export function where(
  c: DataArray,
  cShape: Shape,
  a: DataArray,
  aShape: Shape,
  b: DataArray,
  bShape: Shape,
  dtype: DType,
): { values: DataArray; shape: number[] } {
  const shape = broadcastShapes(broadcastShapes(cShape, aShape, 'where'), bShape, 'where');
  const out = allocArray(
    dtype,
    shape.reduce((p, d) => p * d, 1),
  );
  const walk = coalesceAxes(
    shape,
    [cShape, aShape, bShape].map((s) => broadcastStrides(s, shape)),
  );
  const last = walk.shape.length - 1;
  const [sc, sa, sb] = walk.strides.map((s) => s[last] ?? 0);
  forEachRow(walk.shape, walk.strides, (o, [ic, ia, ib], n) => {
    for (let i = 0; i < n; i++) out[o + i] = c[ic + i * sc] !== 0 ? a[ia + i * sa] : b[ib + i * sb];
  });
  return { values: out, shape };
}

export function cast(x: DataArray, dtype: DType): DataArray {
  const out = allocArray(dtype, x.length);
  if (dtype === 'int32') for (let i = 0; i < x.length; i++) out[i] = Math.trunc(x[i]);
  else out.set(x);
  return out;
}

/** relu's gradient in one pass; dy * 0 (not 0) where x <= 0 keeps mul(dy, mask)'s NaN and -0. */
export function reluGrad(dy: DataArray, x: DataArray, dtype: DType): DataArray {
  const out = allocArray(dtype, dy.length);
  for (let i = 0; i < out.length; i++) out[i] = x[i] > 0 ? dy[i] : dy[i] * 0;
  return out;
}
