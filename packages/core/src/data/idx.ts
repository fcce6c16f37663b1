/**
 * The IDX format of the MNIST family: a 4-byte magic `00 00 <type> <ndim>`,
 * `ndim` big-endian u32 dimensions, then the elements in row-major order,
 * big-endian. This module is environment-neutral; reading (and gunzipping)
 * files in Node is in `idx-node.ts`.
 */

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxTensor {
  shape: number[];
  /** Freshly allocated, aligned storage that the caller owns. */
  data: IdxData;
}

/** Raised for bytes that are not a well-formed file of the expected format. */
export class DataFormatError extends Error {
  override name = 'DataFormatError';
}

interface IdxType {
  code: number;
  name: string;
  bytes: number;
  array: new (length: number) => IdxData;
  read: (view: DataView, offset: number) => number;
  write: (view: DataView, offset: number, value: number) => void;
}

const TYPES: readonly IdxType[] = [
  {
    code: 0x08,
    name: 'u8',
    bytes: 1,
    array: Uint8Array,
    read: (v, o) => v.getUint8(o),
    write: (v, o, x) => v.setUint8(o, x),
  },
  {
    code: 0x09,
    name: 'i8',
    bytes: 1,
    array: Int8Array,
    read: (v, o) => v.getInt8(o),
    write: (v, o, x) => v.setInt8(o, x),
  },
  {
    code: 0x0b,
    name: 'i16',
    bytes: 2,
    array: Int16Array,
    read: (v, o) => v.getInt16(o),
    write: (v, o, x) => v.setInt16(o, x),
  },
  {
    code: 0x0c,
    name: 'i32',
    bytes: 4,
    array: Int32Array,
    read: (v, o) => v.getInt32(o),
    write: (v, o, x) => v.setInt32(o, x),
  },
  {
    code: 0x0d,
    name: 'f32',
    bytes: 4,
    array: Float32Array,
    read: (v, o) => v.getFloat32(o),
    write: (v, o, x) => v.setFloat32(o, x),
  },
  {
    code: 0x0e,
    name: 'f64',
    bytes: 8,
    array: Float64Array,
    read: (v, o) => v.getFloat64(o),
    write: (v, o, x) => v.setFloat64(o, x),
  },
];

const HEX = (code: number): string => `0x${code.toString(16).padStart(2, '0')}`;

/**
 * Decodes an uncompressed IDX file.
 * @param source names the input in error messages, e.g. the file path.
 * @throws DataFormatError for gzip input, a bad magic, an unknown element
 *   type, a truncated header or body, or bytes left over after the body.
 */
export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxTensor {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new DataFormatError(
      `${source}: is gzip-compressed; decompress it first (readIdxFile from '@lowrank/core/node' does this)`,
    );
  }
  if (bytes.length < 4) {
    throw new DataFormatError(`${source}: truncated: ${bytes.length} bytes, an IDX header needs at least 4`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const found = Array.from(bytes.subarray(0, 4), HEX).join(' ');
    throw new DataFormatError(`${source}: bad magic ${found}, expected an IDX file starting 0x00 0x00 <type> <ndim>`);
  }
  const type = TYPES.find((t) => t.code === bytes[2]);
  if (type === undefined) {
    const known = TYPES.map((t) => `${HEX(t.code)} (${t.name})`).join(', ');
    throw new DataFormatError(`${source}: unknown IDX element type ${HEX(bytes[2])}, expected one of ${known}`);
  }
  const ndim = bytes[3];
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new DataFormatError(
      `${source}: truncated header: ${ndim} dimensions need ${headerBytes} bytes, found ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) shape.push(view.getUint32(4 + 4 * d));

  // Products of u32 dimensions can pass 2^53; BigInt keeps the comparison exact.
  const expectedBytes = shape.reduce((acc, n) => acc * BigInt(n), BigInt(type.bytes));
  const bodyBytes = BigInt(bytes.length - headerBytes);
  if (bodyBytes !== expectedBytes) {
    const what = bodyBytes < expectedBytes ? 'truncated data' : 'size mismatch';
    throw new DataFormatError(
      `${source}: ${what}: shape [${shape.join(', ')}] of ${type.name} needs ${expectedBytes} bytes after the ` +
        `${headerBytes}-byte header, found ${bodyBytes}`,
    );
  }

  const length = Number(expectedBytes) / type.bytes;
  const data = new type.array(length);
  if (type.bytes === 1) {
    // One-byte types have no byte order: copy the bytes as they are.
    new Uint8Array(data.buffer).set(bytes.subarray(headerBytes));
  } else {
    for (let i = 0; i < length; i++) data[i] = type.read(view, headerBytes + i * type.bytes);
  }
  return { shape, data };
}

/**
 * Encodes a tensor as an uncompressed IDX file; the element type follows the
 * array's class (Uint8Array -> 0x08, Float32Array -> 0x0D, ...).
 * @throws RangeError when the shape is not u32 dimensions (at most 255 of
 *   them) whose product is `data.length`.
 */
export function writeIdx(shape: readonly number[], data: IdxData): Uint8Array {
  const type = TYPES.find((t) => data instanceof t.array);
  if (type === undefined) throw new RangeError('writeIdx: unsupported array type');
  if (shape.length > 255) throw new RangeError(`writeIdx: at most 255 dimensions, got ${shape.length}`);
  for (const n of shape) {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
      throw new RangeError(`writeIdx: dimensions must be integers in [0, 2^32), got [${shape.join(', ')}]`);
    }
  }
  const count = shape.reduce((acc, n) => acc * n, 1);
  if (count !== data.length) {
    throw new RangeError(`writeIdx: shape [${shape.join(', ')}] has ${count} elements, data has ${data.length}`);
  }
  const headerBytes = 4 + 4 * shape.length;
  const out = new Uint8Array(headerBytes + data.length * type.bytes);
  const view = new DataView(out.buffer);
  out[2] = type.code;
  out[3] = shape.length;
  shape.forEach((n, d) => view.setUint32(4 + 4 * d, n));
  if (type.bytes === 1) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.length), headerBytes);
  } else {
    for (let i = 0; i < data.length; i++) type.write(view, headerBytes + i * type.bytes, data[i]);
  }
  return out;
}
