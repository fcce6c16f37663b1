import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { einsum } from '../src/index.js';
import { expectAllClose, expectShape } from '../src/testing.js';
import { arbEinsum } from './arbitraries.js';
import * as ref from './reference.js';
import { f64, newEngine, values } from './util.js';

const engine = newEngine();
describe('einsum', () => {
  it('random specs (1-3 operands, batch, contracted, summed-out and free indices, any output order) equal brute force to 1e-12 relative', () => {
    fc.assert(
      fc.property(arbEinsum, ([{ spec, refSpec, shapes }, data]) =>
        engine.tidy(() => {
          const operands = shapes.map((s, i) => f64(engine, data[i], s));
          const y = einsum(spec, ...operands);
          const want = ref.einsum(
            refSpec,
            shapes.map((s, i) => ({ data: data[i], shape: s })),
          );
          expectShape(y, want.shape);
          expectAllClose(y.dataSync(), want.data, { rtol: 1e-12, atol: 1e-13, label: spec });
        }),
      ),
      { numRuns: 50 },
    );
  });

  it('common forms: matmul, batched matmul, trace-free transposes, outer and inner products, sums', () => {
    const a = f64(engine, [1, 2, 3, 4, 5, 6], [2, 3]);
    const b = f64(engine, [1, 0, 2, 1, 0, 3], [3, 2]);
    expect(values(einsum('ij,jk->ik', a, b))).toEqual([5, 11, 14, 23]);
    expect(values(einsum('ij,jk', a, b))).toEqual([5, 11, 14, 23]);
    expect(values(einsum('ij->ji', a))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(values(einsum('ij->', a))).toEqual([21]);
    expect(values(einsum('ij->j', a))).toEqual([5, 7, 9]);
    const v = f64(engine, [1, 2], [2]);
    expect(values(einsum('i,i->', v, v))).toEqual([5]);
    expect(values(einsum('i,j->ij', v, v))).toEqual([1, 2, 2, 4]);
    expect(
      einsum(' b i j , b j k -> b i k ', engine.zeros([4, 2, 3]), engine.zeros([4, 3, 5])).shape,
    ).toEqual([4, 2, 5]);
  });

  it('reports malformed specs', () => {
    const a = engine.zeros([2, 3]);
    expect(() => einsum('ij,jk->ik', a)).toThrow("einsum 'ij,jk->ik': 2 operand specs for 1 tensors");
    expect(() => einsum('ijk->i', a)).toThrow("einsum 'ijk->i': operand 0 has rank 2 but 'ijk' names 3 axes");
    expect(() => einsum('ii->i', engine.zeros([2, 2]))).toThrow(/repeated index in 'ii'/);
    expect(() => einsum('...i->i', a)).toThrow(/no ellipsis/);
    expect(() => einsum('ij,ij->i', a, engine.zeros([3, 2]))).toThrow(
      "einsum 'ij,ij->i': index 'i' has sizes 2 and 3",
    );
    expect(() => einsum('ij->k', a)).toThrow("einsum 'ij->k': output index 'k' is not in any input");
  });
});
