import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchNorm, crossEntropy, dropout, logSoftmax, mseLoss, nllLoss, softmax } from '../src/index.js';
import { arbShape, arbTensorData, expectAllClose, expectShape } from '../src/testing.js';
import * as ref from './reference.js';
import { f64, newEngine, RUNS, values } from './util.js';

const engine = newEngine();

/** Rows [N, C] of logits, int32 labels and a reduction. */
const arbClassification = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 6 }))
  .chain(([n, c]) =>
    fc.tuple(
      fc.constant([n, c]),
      arbTensorData([n, c], { min: -5, max: 5 }),
      fc.array(fc.nat({ max: c - 1 }), { minLength: n, maxLength: n }),
      fc.constantFrom('mean', 'sum', 'none') as fc.Arbitrary<'mean' | 'sum' | 'none'>,
    ),
  );

function logSoftmaxRows(d: ArrayLike<number>, n: number, c: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: c }, (_, j) => d[i * c + j]);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    out.push(...row.map((v) => v - lse));
  }
  return out;
}

function reduce(per: number[], reduction: 'mean' | 'sum' | 'none'): number[] {
  if (reduction === 'none') return per;
  const s = per.reduce((a, b) => a + b, 0);
  return [reduction === 'sum' ? s : s / per.length];
}

describe('softmax and logSoftmax', () => {
  it('softmax along a random axis equals exp(x - max) / sum to 1e-12 and sums to 1, even for inputs shifted by 1000', () => {
    fc.assert(
      fc.property(
        arbShape({ minRank: 1, maxRank: 3, maxDim: 4 }).chain((s) =>
          fc.tuple(
            fc.constant(s),
            arbTensorData(s, { min: -5, max: 5 }),
            fc.nat(),
            fc.constantFrom(0, 1000, -1000),
          ),
        ),
        ([s, d, k, shift]) =>
          engine.tidy(() => {
            const axis = k % s.length;
            const x = f64(
              engine,
              Float64Array.from(d, (v) => v + shift),
              s,
            );
            const y = softmax(x, axis);
            const m = ref.reduce(d, s, [axis], Number.NEGATIVE_INFINITY, Math.max, true);
            const e = [...ref.indices(s)].map((i) =>
              Math.exp(d[ref.flat(i, s)] - ref.at(m.data, m.shape, i)),
            );
            const z = ref.reduce(e, s, [axis], 0, (a, v) => a + v, true);
            const want = [...ref.indices(s)].map((i, f) => e[f] / ref.at(z.data, z.shape, i));
            expectShape(y, s);
            expectAllClose(y.dataSync(), want, { rtol: 1e-12, atol: 1e-15 });
            const sums = ref.reduce(y.dataSync(), s, [axis], 0, (a, v) => a + v);
            expectAllClose(sums.data, new Array(sums.data.length).fill(1), { rtol: 1e-12, atol: 0 });
            const ls = logSoftmax(x, axis - s.length);
            expectAllClose(ls.dataSync(), want.map(Math.log), { rtol: 1e-10, atol: 1e-12 });
          }),
      ),
      RUNS,
    );
  });
});

describe('losses', () => {
  it('crossEntropy equals -(1-ε) log p_y - ε/C Σ log p_c (PyTorch) for every reduction and label smoothing ε, to 1e-12', () => {
    fc.assert(
      fc.property(
        arbClassification,
        fc.double({ min: 0, max: 1, noNaN: true }),
        ([[n, c], d, labels, reduction], eps) =>
          engine.tidy(() => {
            const lp = logSoftmaxRows(d, n, c);
            const per = labels.map((y, i) => {
              const row = lp.slice(i * c, (i + 1) * c);
              return -(1 - eps) * row[y] - (eps / c) * row.reduce((a, b) => a + b, 0);
            });
            const got = crossEntropy(f64(engine, d, [n, c]), engine.tensor(Int32Array.from(labels)), {
              reduction,
              labelSmoothing: eps,
            });
            expectShape(got, reduction === 'none' ? [n] : []);
            expectAllClose(got.dataSync(), reduce(per, reduction), { rtol: 1e-12, atol: 1e-14 });
          }),
      ),
      RUNS,
    );
  });

  it('nllLoss picks -logProbs[i, y_i] exactly, and crossEntropy = nllLoss(logSoftmax) to 1e-12', () => {
    fc.assert(
      fc.property(arbClassification, ([[n, c], d, labels, reduction]) =>
        engine.tidy(() => {
          const y = engine.tensor(Int32Array.from(labels));
          const got = nllLoss(f64(engine, d, [n, c]), y, { reduction });
          expectAllClose(
            got.dataSync(),
            reduce(
              labels.map((l, i) => -d[i * c + l]),
              reduction,
            ),
            { rtol: 1e-12, atol: 0 },
          );
          const x = f64(engine, d, [n, c]);
          expectAllClose(
            crossEntropy(x, y, { reduction }).dataSync(),
            nllLoss(logSoftmax(x, 1), y, { reduction }).dataSync(),
            { rtol: 1e-12, atol: 1e-15 },
          );
        }),
      ),
      RUNS,
    );
  });

  it('classification losses validate labels and options', () => {
    const x = engine.zeros([2, 3]);
    expect(() => crossEntropy(x, engine.tensor(new Int32Array([0, 3])))).toThrow(
      'crossEntropy: label 3 at 1 is outside [0, 3)',
    );
    expect(() => nllLoss(x, engine.tensor(new Int32Array([-1, 0])))).toThrow(
      'nllLoss: label -1 at 0 is outside [0, 3)',
    );
    expect(() => crossEntropy(x, engine.tensor([0, 1]))).toThrow(
      'crossEntropy: labels must be int32 [2], got float32 [2]',
    );
    expect(() => crossEntropy(x, engine.tensor(new Int32Array([0])))).toThrow(
      /labels must be int32 \[2\], got int32 \[1\]/,
    );
    expect(() => crossEntropy(engine.zeros([2, 3, 1]), engine.tensor(new Int32Array([0, 1])))).toThrow(
      'crossEntropy: scores must be [N, C], got [2, 3, 1]',
    );
    expect(() => crossEntropy(x, engine.tensor(new Int32Array([0, 1])), { labelSmoothing: 1.5 })).toThrow(
      /labelSmoothing must be in \[0, 1\]/,
    );
  });

  it('mseLoss is the mean, sum or elementwise squared error', () => {
    const p = f64(engine, [1, 2, 3, 4], [2, 2]);
    const t = f64(engine, [0, 2, 5, 1], [2, 2]);
    expect(values(mseLoss(p, t))).toEqual([(1 + 0 + 4 + 9) / 4]);
    expect(values(mseLoss(p, t, { reduction: 'sum' }))).toEqual([14]);
    expect(values(mseLoss(p, t, { reduction: 'none' }))).toEqual([1, 0, 4, 9]);
  });
});

describe('batchNorm (op) and dropout', () => {
  it('batchNorm normalises every axis but 1 for inputs of rank 2 to 4 (training: biased batch variance) to 1e-10', () => {
    fc.assert(
      fc.property(
        fc
          .tuple(
            fc.integer({ min: 2, max: 4 }),
            fc.integer({ min: 1, max: 3 }),
            arbShape({ maxRank: 2, maxDim: 3 }),
          )
          .chain(([n, c, rest]) => {
            const s = [n, c, ...rest];
            return fc.tuple(
              fc.constant(s),
              arbTensorData(s, { min: -3, max: 3 }),
              fc.double({ min: 0.01, max: 0.9, noNaN: true }),
            );
          }),
        ([s, d, momentum]) =>
          engine.tidy(() => {
            const c = s[1];
            const axes = s.flatMap((_, i) => (i === 1 ? [] : [i]));
            const count = ref.size(s) / c;
            const m = ref.reduce(d, s, axes, 0, (a, v) => a + v, true);
            const mean = Array.from(m.data, (v) => v / count);
            const sq = [...ref.indices(s)].map((i) => (d[ref.flat(i, s)] - mean[i[1]]) ** 2);
            const biased = Array.from(ref.reduce(sq, s, axes, 0, (a, v) => a + v).data, (v) => v / count);
            const rm = engine.zeros([c], 'float64');
            const rv = engine.ones([c], 'float64');
            const y = batchNorm(f64(engine, d, s), {
              training: true,
              runningMean: rm,
              runningVar: rv,
              momentum,
              eps: 1e-5,
            });
            const want = [...ref.indices(s)].map(
              (i) => (d[ref.flat(i, s)] - mean[i[1]]) / Math.sqrt(biased[i[1]] + 1e-5),
            );
            expectAllClose(y.dataSync(), want, { rtol: 1e-10, atol: 1e-12 });
            expectAllClose(
              rm.dataSync(),
              mean.map((v) => momentum * v),
              { rtol: 1e-12, atol: 1e-15 },
            );
            expectAllClose(
              rv.dataSync(),
              biased.map((v) => 1 - momentum + (momentum * v * count) / (count - 1)),
              { rtol: 1e-12, atol: 1e-15 },
            );
          }),
      ),
      RUNS,
    );
    // running statistics keep their own dtype when the input is of another one
    const rm = engine.zeros([2]);
    const rv = engine.ones([2]);
    batchNorm(f64(engine, [1, 2, 3, 5], [2, 2]), { training: true, runningMean: rm, runningVar: rv });
    expect(rm.dtype).toBe('float32');
    expectAllClose(rm.dataSync(), [0.2, 0.35], { rtol: 1e-6 });
    expectAllClose(rv.dataSync(), [0.9 + 0.1 * 2, 0.9 + 0.1 * 4.5], { rtol: 1e-6 });
    expect(() => batchNorm(engine.zeros([3]), { training: true })).toThrow(
      'batchNorm: input must be [N, C, ...], got [3]',
    );
    expect(() => batchNorm(engine.zeros([2, 3]), { training: false })).toThrow(
      'batchNorm: evaluation mode needs runningMean and runningVar',
    );
    expect(() => batchNorm(engine.zeros([2, 3]), { training: true, weight: engine.ones([2]) })).toThrow(
      'batchNorm: weight must be [3], got [2]',
    );
  });

  it('dropout zeroes about p of the entries (within 5 sigma) and scales the rest by 1/(1-p); identity for p = 0 or in eval', () => {
    const x = engine.ones([20000], 'float64');
    for (const p of [0.1, 0.5, 0.8]) {
      const y = values(dropout(x, p));
      const zeros = y.filter((v) => v === 0).length;
      expect(y.every((v) => v === 0 || Math.abs(v - 1 / (1 - p)) < 1e-12)).toBe(true);
      expect(Math.abs(zeros - p * 20000)).toBeLessThan(5 * Math.sqrt(20000 * p * (1 - p)));
    }
    expect(dropout(x, 0.5).dtype).toBe('float64');
    expect(values(dropout(x, 0))).toEqual(values(x));
    expect(values(dropout(x, 0.5, false))).toEqual(values(x));
    expect(() => dropout(x, 1)).toThrow('dropout: p must be in [0, 1), got 1');
    expect(() => dropout(x, -0.1)).toThrow(/p must be in \[0, 1\)/);
    engine.seed(5);
    const a = values(dropout(x, 0.5));
    engine.seed(5);
    expect(values(dropout(x, 0.5))).toEqual(a);
  });
});
