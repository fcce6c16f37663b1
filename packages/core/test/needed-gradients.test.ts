/**
 * Backward skips gradients nobody uses: an op's grad fn learns which inputs need one,
 * and conv2d, matmul, mul and div do not compute the others (a first layer's gradient
 * with respect to the images is the costly case).
 */
import { describe, expect, it, vi } from 'vitest';
import { conv2d, div, matmul, mul, sum } from '../src/index.js';
import { newEngine } from './util.js';

/** The names of the kernels the backend runs during `fn`. */
function kernelsRun(engine: ReturnType<typeof newEngine>, fn: () => void): string[] {
  const spy = vi.spyOn(engine.backend, 'runKernel');
  try {
    fn();
    return spy.mock.calls.map((c) => String(c[0]));
  } finally {
    spy.mockRestore();
  }
}

describe('backward computes only the gradients that are needed', () => {
  it('conv2d of data that needs no gradient runs conv2dGradFilter but not conv2dGradInput', () => {
    const engine = newEngine();
    const x = engine.randn([2, 3, 6, 6]);
    const w = engine.randn([4, 3, 3, 3]).requireGrad();
    const loss = sum(conv2d(x, w));
    const ran = kernelsRun(engine, () => engine.backward(loss));
    expect(ran).toContain('conv2dGradFilter');
    expect(ran).not.toContain('conv2dGradInput');
    expect(w.grad?.shape).toEqual([4, 3, 3, 3]);
  });

  it('conv2d whose input needs a gradient still gets it, equal to the one taken with both needed', () => {
    const engine = newEngine();
    const x = engine.randn([2, 3, 6, 6]).requireGrad();
    const w = engine.randn([4, 3, 3, 3]);
    const [gx] = engine.gradients(sum(conv2d(x, w)), [x]);
    const w2 = w.detach().requireGrad();
    const [gxBoth] = engine.gradients(sum(conv2d(x, w2)), [x, w2]);
    expect(Array.from(gx.dataSync())).toEqual(Array.from(gxBoth.dataSync()));
  });

  it('matmul with a constant left factor runs one product in backward, not two', () => {
    const engine = newEngine();
    const a = engine.randn([5, 4]);
    const b = engine.randn([4, 3]).requireGrad();
    const loss = sum(matmul(a, b));
    const ran = kernelsRun(engine, () => engine.backward(loss));
    expect(ran.filter((k) => k === 'matmul')).toHaveLength(1);
  });

  it('mul and div by a constant run no kernel for the constant operand', () => {
    const engine = newEngine();
    const x = engine.randn([8]).requireGrad();
    const c = engine.randn([8]);
    const loss = sum(div(mul(x, c), c));
    const ran = kernelsRun(engine, () => engine.backward(loss));
    // d/dx: dy / c, then * c: two binaries; the constant's branches (mul, div, square, neg) never run.
    expect(ran.filter((k) => k === 'binary')).toHaveLength(2);
    expect(ran).not.toContain('unary');
  });
});
