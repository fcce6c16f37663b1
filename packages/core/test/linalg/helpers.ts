/**
 * Random test matrices for the linalg properties. fast-check draws the
 * shape, the kind and a seed; the entries come from the seeded generator, so
 * a failure shrinks to a small shape and reproduces exactly.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { SeededRandom } from '../../src/data/prng.js';
import { eye, gram, type Matrix, matmul, norm, qr, scaleCols, sub } from '../../src/linalg/index.js';

export type Kind = 'full' | 'deficient' | 'ill' | 'zero';

export interface Case {
  kind: Kind;
  a: Matrix;
  /** The singular values the matrix was built with, where known (descending). */
  s?: Float64Array;
}

export function gaussian(rows: number, cols: number, seed: number): Matrix {
  const rng = new SeededRandom(seed);
  return { rows, cols, data: Float64Array.from({ length: rows * cols }, () => rng.normal()) };
}

/** `rows x cols` with orthonormal columns (`cols <= rows`). */
export function orthonormal(rows: number, cols: number, seed: number): Matrix {
  return qr(gaussian(rows, cols, seed)).Q;
}

/** `U diag(s) V^T` with random orthonormal `U` and `V`. */
export function withSingularValues(rows: number, cols: number, s: Float64Array, seed: number): Matrix {
  const U = orthonormal(rows, s.length, seed);
  const V = orthonormal(cols, s.length, seed + 1);
  return matmul(scaleCols(U, s), V, { transB: true });
}

/** Singular values from 1 down to `1 / cond`, log-spaced. */
export function logSpaced(k: number, cond: number): Float64Array {
  return Float64Array.from({ length: k }, (_, i) => (k === 1 ? 1 : cond ** (-i / (k - 1))));
}

export function buildCase(kind: Kind, rows: number, cols: number, seed: number, rankDraw: number): Case {
  const p = Math.min(rows, cols);
  switch (kind) {
    case 'full':
      return { kind, a: gaussian(rows, cols, seed) };
    case 'deficient': {
      // Rank r < min(m, n) (r = 0 gives the zero matrix when the short side is 1).
      const r = rankDraw % p;
      return { kind, a: matmul(gaussian(rows, r, seed), gaussian(r, cols, seed + 7)) };
    }
    case 'ill': {
      const s = logSpaced(p, 1e8);
      return { kind, a: withSingularValues(rows, cols, s, seed), s };
    }
    case 'zero':
      return { kind, a: { rows, cols, data: new Float64Array(rows * cols) } };
  }
}

const kinds: Kind[] = ['full', 'deficient', 'ill', 'zero'];

/** A random matrix of every kind, sides `min..max` (1..80 by default). */
export function matrixCase(opts: { min?: number; max?: number; square?: boolean } = {}): fc.Arbitrary<Case> {
  const side = fc.integer({ min: opts.min ?? 1, max: opts.max ?? 80 });
  return fc
    .record({
      kind: fc.constantFrom(...kinds),
      rows: side,
      cols: side,
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      rank: fc.nat(1000),
    })
    .map(({ kind, rows, cols, seed, rank }) => buildCase(kind, rows, opts.square ? rows : cols, seed, rank));
}

/** A symmetric matrix of every kind: `(B + B^T) / 2` of a square case. */
export function symmetricCase(opts: { min?: number; max?: number } = {}): fc.Arbitrary<Case> {
  return matrixCase({ ...opts, square: true }).map(({ kind, a }) => {
    const n = a.rows;
    const out = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) out[i * n + j] = (a.data[i * n + j] + a.data[j * n + i]) / 2;
    return { kind, a: { rows: n, cols: n, data: out } };
  });
}

/** `|A - B|_F <= tol * scale`, with `scale = |B|_F` unless given (a zero reference compares absolutely). */
export function expectRelClose(a: Matrix, b: Matrix, tol: number, scale = norm(b)): void {
  expect(a.rows).toBe(b.rows);
  expect(a.cols).toBe(b.cols);
  const err = norm(sub(a, b));
  if (!(err <= tol * (scale > 0 ? scale : 1))) {
    expect.fail(`|A - B|_F = ${err.toExponential(3)} exceeds ${tol} * ${scale.toExponential(3)}`);
  }
}

/** Max-abs entry of `Q^T Q - I` at most `tol`. */
export function expectOrthonormalColumns(q: Matrix, tol: number): void {
  const err = norm(sub(gram(q), eye(q.cols)), 'max');
  if (!(err <= tol)) expect.fail(`max |Q^T Q - I| = ${err.toExponential(3)} exceeds ${tol}`);
}

/** Runs count for the fast-check properties: enough shapes, bounded suite time. */
export const RUNS = { numRuns: 100 };
