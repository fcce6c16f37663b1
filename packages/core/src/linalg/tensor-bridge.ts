/**
 * The handoff between tensors (on any backend, any float dtype) and the float64
 * CPU routines of this module: read a tensor into a Matrix or NdArray (async, so it
 * works on GPU backends), compute, and come back as a tensor of the dtype asked for.
 */
import type { DType } from '../dtype.js';
import type { Engine } from '../engine.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { LinalgError } from './errors.js';
import { type Matrix, matrix } from './matrix.js';
import { type NdArray, ndarray } from './tensor-ops.js';

/** A float64 copy of a 2-d tensor. */
export async function toMatrix(t: Tensor): Promise<Matrix> {
  if (t.rank !== 2)
    throw new LinalgError('toMatrix', [...t.shape], `expected a 2-d tensor, got ${formatShape(t.shape)}`);
  const values = await t.data();
  return matrix(t.shape[0], t.shape[1], values instanceof Float64Array ? values : Float64Array.from(values));
}

/** A float64 copy of a tensor of any rank. */
export async function toNdArray(t: Tensor): Promise<NdArray> {
  const values = await t.data();
  return ndarray([...t.shape], values instanceof Float64Array ? values : Float64Array.from(values));
}

/** A tensor of `dtype` (float32 by default) holding the matrix. */
export function fromMatrix(engine: Engine, m: Matrix, dtype: DType = 'float32'): Tensor {
  return fromValues(engine, m.data, [m.rows, m.cols], dtype);
}

/** A tensor of `dtype` (float32 by default) holding the n-d array. */
export function fromNdArray(engine: Engine, x: NdArray, dtype: DType = 'float32'): Tensor {
  return fromValues(engine, x.data, x.shape, dtype);
}

function fromValues(engine: Engine, data: Float64Array, shape: readonly number[], dtype: DType): Tensor {
  if (dtype === 'float64') return engine.fromData(data.slice(), shape);
  return engine.fromData(
    dtype === 'float32' ? Float32Array.from(data) : Int32Array.from(data, Math.round),
    shape,
  );
}
