import { allocArray, type DataArray, type DType, type FloatArray } from '../../dtype.js';
import { broadcastShapes, broadcastStrides, type Shape, sizeOf } from '../../shape.js';
import { cast } from './elementwise.js';
import { gemm } from './kernels/gemm.js';
import { forEachRow } from './strided.js';

function asFloat(x: DataArray, dtype: DType): FloatArray {
  return dtype === 'int32' ? (cast(x, 'float32') as Float32Array) : (x as FloatArray);
}

/** Batched matmul over the last two axes with broadcast batch axes; one blocked GEMM per batch entry. */
export function matmul(
  a: DataArray,
  aShape: Shape,
  aType: DType,
  b: DataArray,
  bShape: Shape,
  bType: DType,
  transA: boolean,
  transB: boolean,
): { values: DataArray; shape: number[]; dtype: DType } {
  const dtype: DType = aType === 'float64' || bType === 'float64' ? 'float64' : 'float32';
  let fa = asFloat(a, aType);
  let fb = asFloat(b, bType);
  // gemm wants one element type per call; widen the float32 side when mixed.
  if (dtype === 'float64') {
    if (!(fa instanceof Float64Array)) fa = Float64Array.from(fa);
    if (!(fb instanceof Float64Array)) fb = Float64Array.from(fb);
  }
  const ra = aShape.length;
  const rb = bShape.length;
  const [ar, ac] = [aShape[ra - 2], aShape[ra - 1]];
  const [br, bc] = [bShape[rb - 2], bShape[rb - 1]];
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const n = transB ? br : bc;
  const batchShape = broadcastShapes(aShape.slice(0, -2), bShape.slice(0, -2), 'matmul');
  const outShape = [...batchShape, m, n];
  const out = allocArray(dtype, sizeOf(outShape)) as FloatArray;
  const aMat = ar * ac;
  const bMat = br * bc;
  const batches = sizeOf(batchShape);
  if (batches === 0 || m === 0 || n === 0) return { values: out, shape: outShape, dtype };
  // Element strides of each operand's batch axes, in units of whole matrices.
  const sa = broadcastStrides(aShape.slice(0, -2), batchShape);
  const sb = broadcastStrides(bShape.slice(0, -2), batchShape);
  const run = (bi: number, ia: number, ib: number): void =>
    gemm({
      transA,
      transB,
      m,
      n,
      k,
      a: fa,
      aOffset: ia * aMat,
      lda: ac,
      b: fb,
      bOffset: ib * bMat,
      ldb: bc,
      c: out,
      cOffset: bi * m * n,
      ldc: n,
      accumulate: false,
    });
  if (batchShape.length === 0) {
    run(0, 0, 0);
  } else {
    const last = batchShape.length - 1;
    forEachRow(batchShape, [sa, sb], (o, [ia, ib], len) => {
      for (let j = 0; j < len; j++) run(o + j, ia + j * sa[last], ib + j * sb[last]);
    });
  }
  return { values: out, shape: outShape, dtype };
}
