import type { DataArray } from '../../dtype.js';
import type { BinaryOp, UnaryOp } from '../../kernels.js';

/** The loops of one binary op over equal shapes, a scalar on either side, and one strided row. */
export interface BinaryLoops {
  same(a: DataArray, b: DataArray, out: DataArray): void;
  scalarB(a: DataArray, s: number, out: DataArray): void;
  scalarA(s: number, b: DataArray, out: DataArray): void;
  strided(
    a: DataArray,
    ia: number,
    sa: number,
    b: DataArray,
    ib: number,
    sb: number,
    out: DataArray,
    o: number,
    n: number,
  ): void;
}

export type UnaryLoop = (x: DataArray, out: DataArray) => void;

/*
 * Training spends most of its elementwise time in these ops, so each has its own loops,
 * written out. Loops made by one factory from a per-op callback share V8's type feedback:
 * the callback call in them turns megamorphic, is never inlined, and costs about 5x.
 */
export const ARITHMETIC_LOOPS: Partial<Record<BinaryOp, BinaryLoops>> = {
  add: {
    same(a, b, out) {
      for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i];
    },
    scalarB(a, s, out) {
      for (let i = 0; i < out.length; i++) out[i] = a[i] + s;
    },
    scalarA(s, b, out) {
      for (let i = 0; i < out.length; i++) out[i] = s + b[i];
    },
    strided(a, ia, sa, b, ib, sb, out, o, n) {
      for (let i = 0; i < n; i++) out[o + i] = a[ia + i * sa] + b[ib + i * sb];
    },
  },
  sub: {
    same(a, b, out) {
      for (let i = 0; i < out.length; i++) out[i] = a[i] - b[i];
    },
    scalarB(a, s, out) {
      for (let i = 0; i < out.length; i++) out[i] = a[i] - s;
    },
    scalarA(s, b, out) {
      for (let i = 0; i < out.length; i++) out[i] = s - b[i];
    },
    strided(a, ia, sa, b, ib, sb, out, o, n) {
      for (let i = 0; i < n; i++) out[o + i] = a[ia + i * sa] - b[ib + i * sb];
    },
  },
  mul: {
    same(a, b, out) {
      for (let i = 0; i < out.length; i++) out[i] = a[i] * b[i];
    },
    scalarB(a, s, out) {
      for (let i = 0; i < out.length; i++) out[i] = a[i] * s;
    },
    scalarA(s, b, out) {
      for (let i = 0; i < out.length; i++) out[i] = s * b[i];
    },
    strided(a, ia, sa, b, ib, sb, out, o, n) {
      for (let i = 0; i < n; i++) out[o + i] = a[ia + i * sa] * b[ib + i * sb];
    },
  },
  div: {
    same(a, b, out) {
      for (let i = 0; i < out.length; i++) out[i] = a[i] / b[i];
    },
    scalarB(a, s, out) {
      for (let i = 0; i < out.length; i++) out[i] = a[i] / s;
    },
    scalarA(s, b, out) {
      for (let i = 0; i < out.length; i++) out[i] = s / b[i];
    },
    strided(a, ia, sa, b, ib, sb, out, o, n) {
      for (let i = 0; i < n; i++) out[o + i] = a[ia + i * sa] / b[ib + i * sb];
    },
  },
  greater: {
    same(a, b, out) {
      for (let i = 0; i < out.length; i++) out[i] = a[i] > b[i] ? 1 : 0;
    },
    scalarB(a, s, out) {
      for (let i = 0; i < out.length; i++) out[i] = a[i] > s ? 1 : 0;
    },
    scalarA(s, b, out) {
      for (let i = 0; i < out.length; i++) out[i] = s > b[i] ? 1 : 0;
    },
    strided(a, ia, sa, b, ib, sb, out, o, n) {
      for (let i = 0; i < n; i++) out[o + i] = a[ia + i * sa] > b[ib + i * sb] ? 1 : 0;
    },
  },
};

export const ARITHMETIC_UNARY_LOOPS: Partial<Record<UnaryOp, UnaryLoop>> = {
  relu(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? x[i] : 0;
  },
  neg(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = -x[i];
  },
  square(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = x[i] * x[i];
  },
  sqrt(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = Math.sqrt(x[i]);
  },
  exp(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i]);
  },
};
