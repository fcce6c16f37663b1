import { broadcastShapes, formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { sumToShape } from './elementwise.js';
import { reshape } from './shape.js';

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

/**
 * Matrix product over the last two axes with NumPy batch broadcasting; a 1-d operand
 * is a row (a) or a column (b) vector and its axis is dropped from the result.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  if (a.rank === 0 || b.rank === 0) throw new RangeError('matmul: operands must have at least one axis');
  if (a.rank === 1 || b.rank === 1) {
    return a.engine.tidy(() => {
      const a2 = a.rank === 1 ? reshape(a, [1, a.shape[0]]) : a;
      const b2 = b.rank === 1 ? reshape(b, [b.shape[0], 1]) : b;
      const y = matmul2(a2, b2, options.transA ?? false, options.transB ?? false);
      const shape = [...y.shape];
      if (b.rank === 1) shape.splice(shape.length - 1, 1);
      if (a.rank === 1) shape.splice(shape.length - (b.rank === 1 ? 1 : 2), 1);
      return reshape(y, shape);
    });
  }
  return matmul2(a, b, options.transA ?? false, options.transB ?? false);
}

function matmul2(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  const k1 = transA ? a.shape[a.rank - 2] : a.shape[a.rank - 1];
  const k2 = transB ? b.shape[b.rank - 1] : b.shape[b.rank - 2];
  if (k1 !== k2) {
    throw new RangeError(
      `matmul: inner dimensions differ: ${formatShape(a.shape)}${transA ? 'ᵀ' : ''} x ${formatShape(b.shape)}${transB ? 'ᵀ' : ''} (${k1} vs ${k2})`,
    );
  }
  broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul (batch axes)');
  return a.engine.runKernel(
    'matmul',
    [a, b],
    { transA, transB },
    (dys, saved, needed) => {
      const dy = dys[0];
      const [x, w] = saved.inputs;
      // Each product only when its input needs a gradient (a first layer's input does not).
      let da: Tensor | null = null;
      let db: Tensor | null = null;
      if (!transA && !transB) {
        if (needed[0]) da = matmul2(dy, w, false, true);
        if (needed[1]) db = matmul2(x, dy, true, false);
      } else if (!transA && transB) {
        if (needed[0]) da = matmul2(dy, w, false, false);
        if (needed[1]) db = matmul2(dy, x, true, false);
      } else if (transA && !transB) {
        if (needed[0]) da = matmul2(w, dy, false, true);
        if (needed[1]) db = matmul2(x, dy, false, false);
      } else {
        if (needed[0]) da = matmul2(w, dy, true, true);
        if (needed[1]) db = matmul2(dy, x, true, true);
      }
      return [da && sumToShape(da, a.shape), db && sumToShape(db, b.shape)];
    },
    { inputs: true },
  )[0];
}
