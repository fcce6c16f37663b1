import { DataType, emptyTensor, type TensorProto } from './messages.js';

/** A TensorProto's values: floats keep float32/float64, integers become plain numbers. */
export type TensorValues =
  | { kind: 'float32'; dims: number[]; data: Float32Array }
  | { kind: 'float64'; dims: number[]; data: Float64Array }
  | { kind: 'int'; dims: number[]; data: number[] };

const DATA_TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(DataType).map(([name, value]) => [value, name]),
);

export function dataTypeName(dataType: number): string {
  return DATA_TYPE_NAMES[dataType] ?? `unknown (${dataType})`;
}

/**
 * The values of a tensor, from raw_data (little-endian) or the typed fields. `what` names
 * the tensor in errors (external data, unsupported types, a count that does not match dims).
 */
export function tensorValues(t: TensorProto, what: string): TensorValues {
  if (t.dataLocation === 1 || t.externalDataEntries > 0) {
    throw new Error(
      `${what}: its data is stored in an external file, which @lowrank/onnx does not read; save the model with the weights inside (onnx.save_model(..., save_as_external_data=False))`,
    );
  }
  const dims = t.dims;
  if (dims.some((d) => d < 0)) throw new Error(`${what}: negative dimension in [${dims}]`);
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = t.rawData;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const fromRaw = (size: number, read: (v: DataView, offset: number) => number): number[] => {
    if (!raw || !view) return [];
    if (raw.byteLength !== count * size) {
      throw new Error(
        `${what}: raw_data has ${raw.byteLength} bytes, expected ${count * size} for ${dataTypeName(t.dataType)} [${dims}]`,
      );
    }
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) out[i] = read(view, i * size);
    return out;
  };
  const checked = <T extends ArrayLike<number>>(data: T): T => {
    if (data.length !== count) {
      throw new Error(`${what}: holds ${data.length} values, expected ${count} for shape [${dims}]`);
    }
    return data;
  };
  switch (t.dataType) {
    case DataType.float: {
      const data = raw
        ? Float32Array.from(fromRaw(4, (v, o) => v.getFloat32(o, true)))
        : Float32Array.from(t.floatData);
      return { kind: 'float32', dims, data: checked(data) };
    }
    case DataType.double: {
      const data = raw
        ? Float64Array.from(fromRaw(8, (v, o) => v.getFloat64(o, true)))
        : Float64Array.from(t.doubleData);
      return { kind: 'float64', dims, data: checked(data) };
    }
    case DataType.float16: {
      const bits = raw ? fromRaw(2, (v, o) => v.getUint16(o, true)) : t.int32Data;
      return { kind: 'float32', dims, data: checked(Float32Array.from(bits, halfToFloat)) };
    }
    case DataType.int64:
      return { kind: 'int', dims, data: checked(raw ? fromRaw(8, int64) : t.int64Data) };
    case DataType.int32:
      return {
        kind: 'int',
        dims,
        data: checked(raw ? fromRaw(4, (v, o) => v.getInt32(o, true)) : t.int32Data),
      };
    case DataType.int8:
      return { kind: 'int', dims, data: checked(raw ? fromRaw(1, (v, o) => v.getInt8(o)) : t.int32Data) };
    case DataType.uint8:
    case DataType.bool:
      return { kind: 'int', dims, data: checked(raw ? fromRaw(1, (v, o) => v.getUint8(o)) : t.int32Data) };
    default:
      throw new Error(
        `${what}: data type ${dataTypeName(t.dataType)} is not supported (float, double, float16 and integer tensors are)`,
      );
  }
}

function int64(view: DataView, offset: number): number {
  const v = view.getBigInt64(offset, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
    // Opset-13 Slice ends use INT64_MAX for "to the end"; clamp those rather than fail.
    return v > 0n ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER;
  }
  return Number(v);
}

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** A float tensor as raw little-endian float32 (or float64) bytes. */
export function floatTensor(
  name: string,
  dims: readonly number[],
  data: ArrayLike<number>,
  dtype: 'float32' | 'float64' = 'float32',
): TensorProto {
  const size = dtype === 'float32' ? 4 : 8;
  const raw = new Uint8Array(data.length * size);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) {
    if (dtype === 'float32') view.setFloat32(i * size, data[i], true);
    else view.setFloat64(i * size, data[i], true);
  }
  return {
    ...emptyTensor(name),
    dims: [...dims],
    dataType: dtype === 'float32' ? DataType.float : DataType.double,
    rawData: raw,
  };
}

/** An int64 tensor (1-d unless `dims` says otherwise) as raw little-endian bytes. */
export function int64Tensor(
  name: string,
  values: readonly number[],
  dims: readonly number[] = [values.length],
): TensorProto {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setBigInt64(i * 8, BigInt(values[i]), true);
  return { ...emptyTensor(name), dims: [...dims], dataType: DataType.int64, rawData: raw };
}
