import { describe, expect, it } from 'vitest';
import { createEngine, linalg } from '../../src/index.js';

describe('linalg tensor bridge', () => {
  it('round-trips tensors through float64 matrices and returns the dtype asked for', async () => {
    const engine = createEngine();
    const t = engine.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const m = await linalg.toMatrix(t);
    expect(m.rows).toBe(2);
    expect(m.data).toBeInstanceOf(Float64Array);
    const { U, s, V } = linalg.svd(m);
    const back = linalg.fromMatrix(
      engine,
      linalg.matmul(linalg.scaleCols(U, s), V, { transB: true }),
      'float64',
    );
    expect(back.dtype).toBe('float64');
    const got = back.dataSync();
    for (const [i, v] of [1, 2, 3, 4, 5, 6].entries()) expect(Math.abs(got[i] - v)).toBeLessThan(1e-12);
    expect(linalg.fromMatrix(engine, m).dtype).toBe('float32');
    const nd = await linalg.toNdArray(engine.zeros([2, 3, 4]));
    expect(nd.shape).toEqual([2, 3, 4]);
    expect(linalg.fromNdArray(engine, nd, 'float64').shape).toEqual([2, 3, 4]);
  });

  it('refuses a tensor that is not 2-d, naming the function and the shape', async () => {
    const engine = createEngine();
    await expect(linalg.toMatrix(engine.zeros([2, 3, 4]))).rejects.toThrow(/toMatrix.*\[2, 3, 4\]/);
  });
});
