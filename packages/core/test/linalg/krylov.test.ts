import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cg,
  LinalgError,
  type LinearOperator,
  type Matrix,
  matmul,
  matvec,
  minres,
  NonConvergenceError,
  scaleCols,
  vecNorm,
} from '../../src/linalg/index.js';
import { gaussian, orthonormal, RUNS } from './helpers.js';

function operator(a: Matrix): LinearOperator {
  return (x, out) => out.set(matvec(a, x));
}

function residual(a: Matrix, x: Float64Array, b: Float64Array): number {
  const ax = matvec(a, x);
  return vecNorm(ax.map((v, i) => b[i] - v));
}

/** `Q diag(w) Q^T`, exactly symmetric. */
function symmetric(w: Float64Array, seed: number): Matrix {
  const q = orthonormal(w.length, w.length, seed);
  const a = matmul(scaleCols(q, w), q, { transB: true });
  const n = w.length;
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a.data[j * n + i] = a.data[i * n + j];
  return a;
}

const problem = fc.record({
  n: fc.integer({ min: 1, max: 80 }),
  cond: fc.constantFrom(1, 10, 1e3),
  seed: fc.nat(),
});

/** Eigenvalues spread over [1, cond] in magnitude, signs alternating when indefinite. */
function spectrum(n: number, cond: number, indefinite: boolean): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => {
    const mag = n === 1 ? 1 : cond ** (i / (n - 1));
    return indefinite && i % 2 === 1 ? -mag : mag;
  });
}

describe('Krylov solvers', () => {
  it('CG reaches |b - A x| <= 1e-10 |b| on SPD systems (cond up to 1e3), checked against the true residual', () => {
    fc.assert(
      fc.property(problem, ({ n, cond, seed }) => {
        const a = symmetric(spectrum(n, cond, false), seed);
        const b = gaussian(n, 1, seed + 1).data;
        const { x, residualNorm, iterations } = cg(operator(a), b);
        expect(iterations).toBeGreaterThan(0);
        expect(residual(a, x, b)).toBeLessThanOrEqual(1e-10 * vecNorm(b));
        expect(residualNorm).toBeCloseTo(residual(a, x, b), 12);
      }),
      RUNS,
    );
  });

  it('preconditioned CG (Jacobi) reaches 1e-10 on a badly scaled SPD system in fewer iterations', () => {
    const n = 60;
    const base = symmetric(spectrum(n, 10, false), 3);
    const d = Float64Array.from({ length: n }, (_, i) => 10 ** ((3 * i) / n));
    // D B D: conditioning ruined by the scaling, restored by the diagonal preconditioner.
    const scaled: Matrix = { rows: n, cols: n, data: new Float64Array(n * n) };
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) scaled.data[i * n + j] = d[i] * base.data[i * n + j] * d[j];
    const b = gaussian(n, 1, 9).data;
    const plain = cg(operator(scaled), b, { maxIter: 5000 });
    const jacobi = cg(operator(scaled), b, {
      preconditioner: (r, out) => {
        for (let i = 0; i < n; i++) out[i] = r[i] / scaled.data[i * n + i];
      },
    });
    expect(residual(scaled, jacobi.x, b)).toBeLessThanOrEqual(1e-10 * vecNorm(b));
    expect(jacobi.iterations).toBeLessThan(plain.iterations);
  });

  it('MINRES reaches |b - A x| <= 1e-10 |b| on symmetric indefinite (and definite) systems', () => {
    fc.assert(
      fc.property(problem, fc.boolean(), ({ n, cond, seed }, indefinite) => {
        const a = symmetric(spectrum(n, cond, indefinite), seed);
        const b = gaussian(n, 1, seed + 2).data;
        const { x, residualNorm } = minres(operator(a), b);
        expect(residual(a, x, b)).toBeLessThanOrEqual(1e-10 * vecNorm(b));
        expect(residualNorm).toBeCloseTo(residual(a, x, b), 12);
      }),
      RUNS,
    );
  });

  it('starts from x0 and returns at once when it already solves the system', () => {
    const a = symmetric(spectrum(10, 10, false), 1);
    const xTrue = gaussian(10, 1, 2).data;
    const b = matvec(a, xTrue);
    expect(cg(operator(a), b, { x0: xTrue }).iterations).toBe(0);
    expect(minres(operator(a), b, { x0: xTrue }).iterations).toBe(0);
    expect(cg(operator(a), new Float64Array(10)).x.every((v) => v === 0)).toBe(true);
  });

  it('non-convergence is an error carrying the iteration count', () => {
    const a = symmetric(spectrum(50, 1e3, true), 4);
    const b = gaussian(50, 1, 5).data;
    for (const solver of [minres, cg] as const) {
      try {
        solver(operator(solver === cg ? symmetric(spectrum(50, 1e3, false), 4) : a), b, { maxIter: 3 });
        expect.fail('expected NonConvergenceError');
      } catch (e) {
        expect(e).toBeInstanceOf(NonConvergenceError);
        expect((e as NonConvergenceError).iterations).toBe(3);
        expect(String(e)).toMatch(/(cg|minres): no convergence after 3 iterations; relative residual/);
      }
    }
  });

  it('CG rejects an indefinite operator; both reject NaN input and NaN-producing operators', () => {
    const a = symmetric(spectrum(20, 10, true), 6);
    const b = gaussian(20, 1, 7).data;
    expect(() => cg(operator(a), b)).toThrow(/cg: operator is not positive definite/);
    expect(() => cg(operator(a), Float64Array.from([Number.NaN]))).toThrow(
      /cg: right-hand side has NaN at 0/,
    );
    expect(() => minres((_x, out) => out.fill(Number.NaN), b)).toThrow(LinalgError);
    expect(() => minres(operator(a), new Float64Array(0))).toThrow(/minres: empty right-hand side/);
  });
});
