/**
 * Element types. `float32` is the working type everywhere; `float64` exists on the
 * CPU backend for linear algebra, statistics and finite-difference checks; `int32`
 * holds labels and indices (argmax, gather).
 */
export type DType = 'float32' | 'float64' | 'int32';

export type DataArray = Float32Array | Float64Array | Int32Array;
export type FloatArray = Float32Array | Float64Array;

export interface DataArrayFor {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
}

export function allocArray<D extends DType>(dtype: D, size: number): DataArrayFor[D] {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size) as DataArrayFor[D];
    case 'float64':
      return new Float64Array(size) as DataArrayFor[D];
    case 'int32':
      return new Int32Array(size) as DataArrayFor[D];
    default:
      throw new TypeError(`Unknown dtype '${String(dtype)}'; expected float32, float64 or int32`);
  }
}

export function dtypeOf(values: DataArray): DType {
  if (values instanceof Float32Array) return 'float32';
  if (values instanceof Float64Array) return 'float64';
  return 'int32';
}

/** Result type of a binary op: float64 wins over float32, which wins over int32. */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'float64' || b === 'float64') return 'float64';
  return 'float32';
}

export function isFloat(dtype: DType): boolean {
  return dtype !== 'int32';
}

export function bytesPerElement(dtype: DType): number {
  return dtype === 'float64' ? 8 : 4;
}
