import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matmul } from '../src/index.js';
import { arbShape, arbTensorData, expectAllClose, expectShape } from '../src/testing.js';
import * as ref from './reference.js';
import { f64, newEngine, RUNS, values } from './util.js';

const engine = newEngine();

/** Operand shapes for a (possibly transposed) batched product with broadcastable batch axes. */
const arbMatmul = fc
  .record({
    m: fc.integer({ min: 1, max: 5 }),
    k: fc.integer({ min: 1, max: 5 }),
    n: fc.integer({ min: 1, max: 5 }),
    batch: arbShape({ maxRank: 3, maxDim: 3 }),
    transA: fc.boolean(),
    transB: fc.boolean(),
    dropA: fc.nat({ max: 3 }),
    dropB: fc.nat({ max: 3 }),
    onesA: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    onesB: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  })
  .chain((r) => {
    // each operand takes a trailing part of the batch shape with some axes set to 1
    const batchOf = (drop: number, ones: boolean[]) =>
      r.batch.slice(Math.min(drop, r.batch.length)).map((d, i) => (ones[i] ? 1 : d));
    const sa = [...batchOf(r.dropA, r.onesA), ...(r.transA ? [r.k, r.m] : [r.m, r.k])];
    const sb = [...batchOf(r.dropB, r.onesB), ...(r.transB ? [r.n, r.k] : [r.k, r.n])];
    return fc.tuple(fc.constant({ ...r, sa, sb }), arbTensorData(sa), arbTensorData(sb));
  });

describe('matmul', () => {
  it('batched matmul with broadcast batch axes and every transpose option equals the reference to 1e-12 relative (float64)', () => {
    fc.assert(
      fc.property(arbMatmul, ([r, da, db]) =>
        engine.tidy(() => {
          const y = matmul(f64(engine, da, r.sa), f64(engine, db, r.sb), {
            transA: r.transA,
            transB: r.transB,
          });
          const want = ref.matmul(da, r.sa, db, r.sb, r.transA, r.transB);
          expectShape(y, want.shape);
          expect(y.dtype).toBe('float64');
          expectAllClose(y.dataSync(), want.data, { rtol: 1e-12, atol: 1e-14 });
        }),
      ),
      { numRuns: 50 },
    );
  });

  it('float32 matmul agrees with the float64 reference to 1e-5 relative', () => {
    fc.assert(
      fc.property(arbMatmul, ([r, da, db]) =>
        engine.tidy(() => {
          const a32 = Float32Array.from(da);
          const b32 = Float32Array.from(db);
          const y = matmul(
            engine.fromData(Float32Array.from(a32), r.sa),
            engine.fromData(Float32Array.from(b32), r.sb),
            r,
          );
          expect(y.dtype).toBe('float32');
          expectAllClose(y.dataSync(), ref.matmul(a32, r.sa, b32, r.sb, r.transA, r.transB).data, {
            rtol: 1e-5,
            atol: 1e-6,
          });
        }),
      ),
      RUNS,
    );
  });

  it('1-d operands are a row (left) or a column (right) vector whose axis is dropped, as NumPy (float64, 1e-12 relative)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        arbShape({ maxRank: 2, maxDim: 3 }),
        fc.integer(),
        (k, n, batch, seed) =>
          engine.tidy(() => {
            const v = engine.rand([k], { dtype: 'float64', seed });
            const w = engine.rand([k], { dtype: 'float64', seed: seed + 1 });
            const mBatch = engine.rand([...batch, k, n], { dtype: 'float64', seed: seed + 2 });
            const mLeft = engine.rand([...batch, n, k], { dtype: 'float64', seed: seed + 3 });
            const dv = v.dataSync();
            // vector . vector -> scalar
            const vw = matmul(v, w);
            expectShape(vw, []);
            expectAllClose(vw.dataSync(), ref.matmul(dv, [1, k], w.dataSync(), [k, 1]).data, { rtol: 1e-12 });
            // vector . batched matrix -> [...batch, n]
            const vm = matmul(v, mBatch);
            expectShape(vm, [...batch, n]);
            expectAllClose(
              vm.dataSync(),
              ref.matmul(dv, [1, k], mBatch.dataSync(), mBatch.shape as number[]).data,
              { rtol: 1e-12 },
            );
            // batched matrix . vector -> [...batch, n]
            const mv = matmul(mLeft, v);
            expectShape(mv, [...batch, n]);
            expectAllClose(
              mv.dataSync(),
              ref.matmul(mLeft.dataSync(), mLeft.shape as number[], dv, [k, 1]).data,
              { rtol: 1e-12 },
            );
            // transposes apply to the 2-d view of the matrix operand
            const mvT = matmul(mBatch, v, { transA: true });
            expectShape(mvT, [...batch, n]);
            expectAllClose(
              mvT.dataSync(),
              ref.matmul(mBatch.dataSync(), mBatch.shape as number[], dv, [k, 1], true).data,
              { rtol: 1e-12 },
            );
          }),
      ),
      RUNS,
    );
  });

  it('mixes dtypes by promotion and multiplies int32 as float32', () => {
    const a = engine.tensor([
      [1, 2],
      [3, 4],
    ]);
    const b = engine.tensor(new Float64Array([1, 0, 0, 1]), [2, 2]);
    expect(matmul(a, b).dtype).toBe('float64');
    const i = engine.tensor(new Int32Array([1, 2, 3, 4]), [2, 2]);
    const y = matmul(i, i);
    expect(y.dtype).toBe('float32');
    expect(values(y)).toEqual([7, 10, 15, 22]);
  });

  it('handles empty dimensions and reports mismatched inner or batch dimensions', () => {
    expect(values(matmul(engine.zeros([2, 0]), engine.zeros([0, 3])))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(matmul(engine.zeros([0, 2]), engine.zeros([2, 3])).shape).toEqual([0, 3]);
    const a = engine.zeros([2, 3]);
    expect(() => matmul(a, engine.zeros([2, 3]))).toThrow(
      'matmul: inner dimensions differ: [2, 3] x [2, 3] (3 vs 2)',
    );
    expect(() => matmul(a, engine.zeros([2, 3]), { transB: true })).not.toThrow();
    expect(() => matmul(engine.zeros([2, 2, 2]), engine.zeros([3, 2, 2]))).toThrow(
      /matmul \(batch axes\): shapes \[2\] and \[3\] cannot be broadcast/,
    );
    expect(() => matmul(engine.scalar(1), a)).toThrow('matmul: operands must have at least one axis');
  });
});
