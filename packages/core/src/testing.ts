/**
 * Test helpers for @lowrank/core and the packages built on it (decomposition plugins,
 * backends): closeness and shape checks with readable diffs, a float64
 * finite-difference gradient check, and fast-check arbitraries for shapes and data.
 *
 * Every check throws a plain `Error` (no test-runner dependency). The arbitraries need
 * `fast-check`, an optional peer dependency of this entry point only.
 */
import * as fc from 'fast-check';
import { SeededRandom } from './data/prng.js';
import type { Engine } from './engine.js';
import { type NdArray, ndarray } from './linalg/tensor-ops.js';
import { formatShape, type Shape, shapesEqual, sizeOf, stridesOf } from './shape.js';
import type { Tensor } from './tensor.js';

// ---------------------------------------------------------------------------
// Closeness and shapes
// ---------------------------------------------------------------------------

export interface CloseOptions {
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-8). */
  atol?: number;
  /** Shape of the values, to report mismatches as multi-indices. */
  shape?: Shape;
  /** Prefix of the error message. */
  label?: string;
  /** How many mismatches the message lists (default 8). */
  maxReported?: number;
}

/** The multi-index of flat index `i` in a row-major array of `shape` (`[i]` without a shape). */
export function unravelIndex(i: number, shape?: Shape): number[] {
  if (!shape || shape.length === 0) return [i];
  const strides = stridesOf(shape);
  return strides.map((s, axis) => Math.floor(i / s) % shape[axis]);
}

function position(i: number, shape?: Shape): string {
  return shape && shape.length > 0 ? formatShape(unravelIndex(i, shape)) : `[${i}]`;
}

function fmt(v: number): string {
  return String(v);
}

/**
 * Throws unless `actual` and `expected` have the same length and every pair satisfies
 * |actual - expected| <= atol + rtol * |expected| (NumPy's `allclose`). NaN matches
 * NaN and infinities match themselves. The message gives the number of mismatches,
 * the worst one and the first few, with multi-indices when `shape` is given.
 */
export function expectAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  options: CloseOptions = {},
): void {
  const { rtol = 1e-5, atol = 1e-8, shape, label = 'expectAllClose', maxReported = 8 } = options;
  if (actual.length !== expected.length) {
    throw new Error(
      `${label}: ${actual.length} values, expected ${expected.length}${shape ? ` (shape ${formatShape(shape)})` : ''}`,
    );
  }
  if (shape && sizeOf(shape) !== expected.length) {
    throw new Error(`${label}: shape ${formatShape(shape)} does not hold ${expected.length} values`);
  }
  const bad: number[] = [];
  let worst = -1;
  let worstRatio = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(a) && Number.isNaN(e)) continue;
    if (a === e) continue;
    const diff = Math.abs(a - e);
    const tol = atol + rtol * Math.abs(e);
    if (diff <= tol && Number.isFinite(e) && Number.isFinite(a)) continue;
    bad.push(i);
    const ratio = Number.isNaN(diff) || !Number.isFinite(diff) ? Number.POSITIVE_INFINITY : diff / tol;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = i;
    }
  }
  if (bad.length === 0) return;
  const line = (i: number) =>
    `${position(i, shape)}: actual ${fmt(actual[i])}, expected ${fmt(expected[i])} (|diff| ${fmt(Math.abs(actual[i] - expected[i]))})`;
  const listed = bad.slice(0, maxReported).map((i) => `  ${line(i)}`);
  if (bad.length > maxReported) listed.push(`  ... and ${bad.length - maxReported} more`);
  throw new Error(
    `${label}: ${bad.length} of ${actual.length} values differ (rtol ${rtol}, atol ${atol}); worst ${line(worst)}\n${listed.join('\n')}`,
  );
}

/** Throws unless `actual` equals `expected` exactly (dimension by dimension). */
export function expectShape(
  actual: Shape | { readonly shape: Shape },
  expected: Shape,
  label = 'expectShape',
): void {
  const shape = 'shape' in actual ? actual.shape : actual;
  if (!shapesEqual(shape, expected)) {
    throw new Error(`${label}: shape ${formatShape(shape)}, expected ${formatShape(expected)}`);
  }
}

/** Throws unless the two tensors (or shapes) have the same shape. */
export function expectSameShape(
  a: Shape | { readonly shape: Shape },
  b: Shape | { readonly shape: Shape },
  label = 'expectSameShape',
): void {
  expectShape(a, 'shape' in b ? b.shape : b, label);
}

/**
 * Reads a tensor synchronously (on a backend with `readSync`, such as the CPU) and
 * checks its shape (when `options.shape` is given, otherwise only the size) and values.
 */
export function expectTensorClose(
  actual: Tensor,
  expected: ArrayLike<number>,
  options: CloseOptions = {},
): void {
  const label = options.label ?? 'expectTensorClose';
  if (options.shape) expectShape(actual, options.shape, label);
  expectAllClose(actual.dataSync(), expected, { ...options, shape: actual.shape, label });
}

// ---------------------------------------------------------------------------
// Finite-difference gradient check
// ---------------------------------------------------------------------------

export interface GradientCheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Relative tolerance (default 1e-5), against the larger of the two magnitudes. */
  rtol?: number;
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
  /** Seed of the random projection of the output (default 0). */
  seed?: number;
}

export interface GradientMismatch {
  input: number;
  /** Flat index into the input. */
  index: number;
  /** Multi-index into the input. */
  position: number[];
  analytic: number;
  numeric: number;
}

export interface GradientCheckResult {
  /** Autodiff gradient of sum(fn(...inputs) * r) per input. */
  analytic: Float64Array[];
  /** Central-difference estimate of the same per input. */
  numeric: Float64Array[];
  /** Largest |analytic - numeric| / (atol + rtol * max(|analytic|, |numeric|)); at most 1 when the check passes. */
  worstRatio: number;
}

/** Thrown by `checkGradients`; carries the worst and the count of mismatching elements. */
export class GradientCheckError extends Error {
  constructor(
    message: string,
    readonly worst: GradientMismatch,
    readonly mismatches: number,
  ) {
    super(message);
    this.name = 'GradientCheckError';
  }
}

/**
 * Checks the autodiff gradient of `fn` at `inputs` (float64 tensors) against central
 * finite differences. A non-scalar output y is reduced to sum(y * r) for a fixed
 * random r (seeded), so every output element takes part. Inputs are not modified
 * and nothing is left allocated; `fn` must be deterministic (reseed inside it for
 * random ops) and differentiable near `inputs`.
 *
 * Needs a backend with synchronous reads and float64 (the CPU backend), and must not
 * run under `noGrad`. Throws a `GradientCheckError` naming the input, the worst
 * element (flat and multi-index), the analytic and numeric values.
 */
export function checkGradients(
  engine: Engine,
  fn: (...xs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options: GradientCheckOptions = {},
): GradientCheckResult {
  const { eps = 1e-6, rtol = 1e-5, atol = 1e-6, seed = 0 } = options;
  if (inputs.length === 0) throw new Error('checkGradients: no inputs');
  if (!engine.gradEnabled) throw new Error('checkGradients: gradients are off (called inside noGrad)');
  if (!engine.backend.readSync)
    throw new Error(`checkGradients: the '${engine.backend.name}' backend cannot read synchronously`);
  inputs.forEach((x, i) => {
    if (x.dtype !== 'float64')
      throw new TypeError(`checkGradients: input ${i} is ${x.dtype}; finite differences need float64`);
  });
  const base = inputs.map((x) => Float64Array.from(x.dataSync()));

  // The output's shape, and the projection r.
  const outShape = engine.tidy(() => engine.noGrad(() => [...checkOutput(fn(...inputs)).shape]));
  const rng = new SeededRandom(seed);
  const r = new Float64Array(sizeOf(outShape));
  for (let i = 0; i < r.length; i++) r[i] = 2 * rng.next() - 1;

  const project = (y: Tensor): number => {
    if (!shapesEqual(y.shape, outShape)) {
      throw new Error(
        `checkGradients: fn returned ${formatShape(y.shape)}, earlier ${formatShape(outShape)}; it must be deterministic`,
      );
    }
    const v = y.dataSync();
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i] * r[i];
    return s;
  };
  const evaluate = (which: number, values: Float64Array): number =>
    engine.tidy(() =>
      engine.noGrad(() => {
        const xs = inputs.map((x, k) => (k === which ? engine.fromData(values, x.shape) : x));
        return project(checkOutput(fn(...xs)));
      }),
    );

  // Autodiff: d/dx sum(y * r) is the backward pass seeded with r.
  let analytic: Float64Array[] = [];
  engine.tidy(() => {
    const xs = inputs.map((x) => x.detach().requireGrad());
    const y = checkOutput(fn(...xs));
    project(y);
    if (!y.requiresGrad) {
      analytic = inputs.map((x) => new Float64Array(x.size));
      return;
    }
    const grads = engine.gradients(y, xs, { grad: engine.fromData(Float64Array.from(r), outShape) });
    try {
      analytic = grads.map((g) => Float64Array.from(g.dataSync()));
    } finally {
      for (const g of grads) g.dispose();
    }
  });

  const numeric = base.map((values, i) => {
    const out = new Float64Array(values.length);
    for (let j = 0; j < values.length; j++) {
      const plus = Float64Array.from(values);
      plus[j] += eps;
      const minus = Float64Array.from(values);
      minus[j] -= eps;
      out[j] = (evaluate(i, plus) - evaluate(i, minus)) / (2 * eps);
    }
    return out;
  });

  let worst: GradientMismatch | null = null;
  let worstRatio = 0;
  let mismatches = 0;
  analytic.forEach((a, i) => {
    for (let j = 0; j < a.length; j++) {
      const n = numeric[i][j];
      const ratio = Math.abs(a[j] - n) / (atol + rtol * Math.max(Math.abs(a[j]), Math.abs(n)));
      const r2 = Number.isNaN(ratio) ? Number.POSITIVE_INFINITY : ratio;
      if (r2 > 1) mismatches++;
      if (worst === null || r2 > worstRatio) {
        worstRatio = r2;
        worst = {
          input: i,
          index: j,
          position: unravelIndex(j, inputs[i].shape),
          analytic: a[j],
          numeric: n,
        };
      }
    }
  });
  if (worst !== null && worstRatio > 1) {
    const w: GradientMismatch = worst;
    throw new GradientCheckError(
      `checkGradients: the gradient of input ${w.input} (${formatShape(inputs[w.input].shape)}) differs at ${mismatches} element(s); ` +
        `worst at ${formatShape(w.position)} (flat ${w.index}): analytic ${fmt(w.analytic)}, numeric ${fmt(w.numeric)}, ` +
        `|diff| ${fmt(Math.abs(w.analytic - w.numeric))} > atol ${atol} + rtol ${rtol} * magnitude (eps ${eps})`,
      w,
      mismatches,
    );
  }
  return { analytic, numeric, worstRatio };
}

function checkOutput(y: unknown): Tensor {
  const t = y as Tensor;
  if (t === null || typeof t !== 'object' || !('shape' in t) || !('dtype' in t)) {
    throw new TypeError('checkGradients: fn must return a tensor');
  }
  if (t.dtype === 'int32') throw new TypeError('checkGradients: fn returned an int32 tensor');
  return t;
}

// ---------------------------------------------------------------------------
// fast-check arbitraries
// ---------------------------------------------------------------------------

export interface ShapeOptions {
  /** Default 0. */
  minRank?: number;
  /** Default 4. */
  maxRank?: number;
  /** Default 1. */
  minDim?: number;
  /** Default 4. */
  maxDim?: number;
}

/** Shapes with rank in [minRank, maxRank] and every dimension in [minDim, maxDim]. */
export function arbShape(options: ShapeOptions = {}): fc.Arbitrary<number[]> {
  const { minRank = 0, maxRank = 4, minDim = 1, maxDim = 4 } = options;
  return fc.array(fc.integer({ min: minDim, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/**
 * Two shapes that broadcast together (NumPy rules): a common output shape, and for
 * each operand a trailing part of it (so ranks may differ) with some axes set to 1.
 */
export function arbBroadcastPair(options: ShapeOptions = {}): fc.Arbitrary<[number[], number[]]> {
  const operand = (out: number[]): fc.Arbitrary<number[]> =>
    fc
      .integer({ min: 0, max: out.length })
      .chain((rank) =>
        fc
          .array(fc.boolean(), { minLength: rank, maxLength: rank })
          .map((ones) => out.slice(out.length - rank).map((d, i) => (ones[i] ? 1 : d))),
      );
  return arbShape(options).chain((out) => fc.tuple(operand(out), operand(out)));
}

export interface DataOptions {
  /** Default -1. */
  min?: number;
  /** Default 1. */
  max?: number;
  /** Values closer to 0 than this are pushed out to ±minAbs (to keep away from kinks and poles). Default 0. */
  minAbs?: number;
  /** Default 'float64'. */
  dtype?: 'float32' | 'float64';
}

/** Values for a tensor of the given shape (or size), uniform-ish in [min, max]. */
export function arbTensorData(
  shapeOrSize: Shape | number,
  options: DataOptions = {},
): fc.Arbitrary<Float64Array | Float32Array> {
  const { min = -1, max = 1, minAbs = 0, dtype = 'float64' } = options;
  const n = typeof shapeOrSize === 'number' ? shapeOrSize : sizeOf(shapeOrSize);
  return fc.array(fc.double({ min, max, noNaN: true }), { minLength: n, maxLength: n }).map((values) => {
    const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
    values.forEach((v, i) => {
      out[i] = Math.abs(v) < minAbs ? (v < 0 ? -minAbs : minAbs) : v;
    });
    return out;
  });
}

/** A shape with matching data. */
export function arbTensor(
  options: ShapeOptions & DataOptions = {},
): fc.Arbitrary<{ shape: number[]; data: Float64Array | Float32Array }> {
  return arbShape(options).chain((shape) => arbTensorData(shape, options).map((data) => ({ shape, data })));
}

/** A float64 array of `shape` with standard normal entries drawn from `SeededRandom(seed)`. */
export function randomNdArray(shape: readonly number[], seed: number): NdArray {
  const rng = new SeededRandom(seed);
  return ndarray(
    shape,
    Float64Array.from({ length: sizeOf(shape) }, () => rng.normal()),
  );
}

export * from './conformance/decomposition.js';
export * from './conformance/metric.js';
export * from './decomposition/layer-arbitraries.js';
