/**
 * The safetensors format: an unsigned 64-bit little-endian header length N,
 * N bytes of UTF-8 JSON `{ name: { dtype, shape, data_offsets: [begin, end] },
 * "__metadata__": { key: value } }` (padded with spaces), then the tensors'
 * raw little-endian bytes, with offsets relative to the end of the header.
 */
import { fromBfloat16Bits, fromFloat16Bits, toBfloat16Bits, toFloat16Bits } from './half-float.js';

export type SafetensorsDtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U64'
  | 'U32'
  | 'U16'
  | 'U8'
  | 'BOOL';

/**
 * How each dtype is held in memory: F16 and BF16 are widened to Float32Array,
 * BOOL is a Uint8Array of 0s and 1s, 64-bit integers are BigInt arrays
 * (see `int64ToInt32` / `int64ToFloat64`).
 */
export interface SafetensorsArrays {
  F64: Float64Array;
  F32: Float32Array;
  F16: Float32Array;
  BF16: Float32Array;
  I64: BigInt64Array;
  I32: Int32Array;
  I16: Int16Array;
  I8: Int8Array;
  U64: BigUint64Array;
  U32: Uint32Array;
  U16: Uint16Array;
  U8: Uint8Array;
  BOOL: Uint8Array;
}

export type SafetensorsTensor = {
  [D in SafetensorsDtype]: { dtype: D; shape: number[]; data: SafetensorsArrays[D] };
}[SafetensorsDtype];

/** What `serializeSafetensors` takes: F16 and BF16 data may also be given as a Float64Array. */
export type SafetensorsTensorInput =
  | SafetensorsTensor
  | { dtype: 'F16' | 'BF16'; shape: number[]; data: Float64Array };

export interface SafetensorsFile {
  /** In the order of the tensors' offsets in the file. */
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** Raised for bytes that are not a valid safetensors file, or tensors that cannot be written as one. */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** The arrays holding a file's bytes as they are: the decoded types, plus Uint16Array for F16/BF16 bits. */
type StorageArray = SafetensorsArrays[SafetensorsDtype] | Uint16Array;

interface DtypeInfo {
  bytes: number;
  storage: new (buffer: ArrayBuffer) => StorageArray;
}

const DTYPES: Record<SafetensorsDtype, DtypeInfo> = {
  F64: { bytes: 8, storage: Float64Array },
  F32: { bytes: 4, storage: Float32Array },
  F16: { bytes: 2, storage: Uint16Array },
  BF16: { bytes: 2, storage: Uint16Array },
  I64: { bytes: 8, storage: BigInt64Array },
  I32: { bytes: 4, storage: Int32Array },
  I16: { bytes: 2, storage: Int16Array },
  I8: { bytes: 1, storage: Int8Array },
  U64: { bytes: 8, storage: BigUint64Array },
  U32: { bytes: 4, storage: Uint32Array },
  U16: { bytes: 2, storage: Uint16Array },
  U8: { bytes: 1, storage: Uint8Array },
  BOOL: { bytes: 1, storage: Uint8Array },
};

/** The array class `serializeSafetensors` expects for each dtype (F16/BF16 also take Float64Array). */
const INPUT_ARRAYS: Record<SafetensorsDtype, readonly (abstract new (...args: never[]) => unknown)[]> = {
  F64: [Float64Array],
  F32: [Float32Array],
  F16: [Float32Array, Float64Array],
  BF16: [Float32Array, Float64Array],
  I64: [BigInt64Array],
  I32: [Int32Array],
  I16: [Int16Array],
  I8: [Int8Array],
  U64: [BigUint64Array],
  U32: [Uint32Array],
  U16: [Uint16Array],
  U8: [Uint8Array],
  BOOL: [Uint8Array],
};

const METADATA_KEY = '__metadata__';
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.hasOwn(DTYPES, value);
}

/** Reverses the bytes of each `width`-byte element, converting between little-endian and the host's order. */
function swapBytes(bytes: Uint8Array, width: number): void {
  if (width === 1 || LITTLE_ENDIAN_HOST) return;
  for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((acc, n) => acc * n, 1);
}

function isShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((n) => Number.isSafeInteger(n) && n >= 0);
}

/**
 * Decodes a safetensors file. Every tensor gets its own aligned copy of its
 * data, so `bytes` may be a Node Buffer at any offset.
 * @throws SafetensorsError for a header that runs past the file, invalid JSON,
 *   an unknown dtype, a bad shape, offsets outside the data or overlapping, or
 *   offsets whose length is not shape x dtype size.
 */
export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) {
    throw new SafetensorsError(`file of ${bytes.length} bytes is too short for the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    throw new SafetensorsError(
      `header length ${headerLength} goes beyond the end of the file (${bytes.length - 8} bytes after the length)`,
    );
  }
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (error) {
    throw new SafetensorsError(`header is not valid UTF-8 JSON: ${(error as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new SafetensorsError('header must be a JSON object');
  }

  const dataLength = bytes.length - dataStart;
  const metadata = parseMetadata((header as Record<string, unknown>)[METADATA_KEY]);
  const entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] =
    [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>;
    if (!isDtype(dtype)) {
      throw new SafetensorsError(
        `tensor '${name}': unknown dtype ${JSON.stringify(dtype)}, expected one of ${Object.keys(DTYPES).join(', ')}`,
      );
    }
    if (!isShape(shape)) {
      throw new SafetensorsError(`tensor '${name}': shape must be an array of non-negative integers`);
    }
    if (!(Array.isArray(offsets) && offsets.length === 2 && isShape(offsets) && offsets[0] <= offsets[1])) {
      throw new SafetensorsError(
        `tensor '${name}': data_offsets must be [begin, end] with 0 <= begin <= end`,
      );
    }
    const [begin, end] = offsets;
    if (end > dataLength) {
      throw new SafetensorsError(
        `tensor '${name}': data_offsets [${begin}, ${end}] go beyond the ${dataLength} bytes of data`,
      );
    }
    const expected = elementCount(shape) * DTYPES[dtype].bytes;
    if (end - begin !== expected) {
      throw new SafetensorsError(
        `tensor '${name}': data_offsets [${begin}, ${end}] hold ${end - begin} bytes, ` +
          `shape [${shape.join(', ')}] of ${dtype} needs ${expected}`,
      );
    }
    entries.push({ name, dtype, shape, begin, end });
  }

  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let previous: (typeof entries)[number] | undefined;
  for (const entry of entries) {
    if (entry.begin === entry.end) continue; // an empty tensor occupies nothing
    if (previous !== undefined && entry.begin < previous.end) {
      throw new SafetensorsError(
        `tensors '${previous.name}' [${previous.begin}, ${previous.end}] and '${entry.name}' ` +
          `[${entry.begin}, ${entry.end}] overlap`,
      );
    }
    previous = entry;
  }

  const tensors = new Map<string, SafetensorsTensor>();
  for (const { name, dtype, shape, begin, end } of entries) {
    // A copy, not `slice`: on a Node Buffer `slice` returns a view of the same, possibly unaligned, memory.
    const copy = new Uint8Array(bytes.subarray(dataStart + begin, dataStart + end));
    swapBytes(copy, DTYPES[dtype].bytes);
    const stored = new DTYPES[dtype].storage(copy.buffer);
    tensors.set(name, { dtype, shape, data: decodeStored(name, dtype, stored) } as SafetensorsTensor);
  }
  return { tensors, metadata };
}

function parseMetadata(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SafetensorsError(`${METADATA_KEY} must be an object of strings`);
  }
  const entries = Object.entries(value);
  for (const [key, text] of entries) {
    if (typeof text !== 'string') {
      throw new SafetensorsError(
        `${METADATA_KEY}: the value of '${key}' must be a string, got ${typeof text}`,
      );
    }
  }
  return Object.fromEntries(entries); // keeps a key named "__proto__" as an ordinary key
}

function decodeStored(
  name: string,
  dtype: SafetensorsDtype,
  stored: StorageArray,
): SafetensorsTensor['data'] {
  if (dtype === 'F16' || dtype === 'BF16') {
    const fromBits = dtype === 'F16' ? fromFloat16Bits : fromBfloat16Bits;
    const bits = stored as Uint16Array;
    const out = new Float32Array(bits.length);
    for (let i = 0; i < bits.length; i++) out[i] = fromBits(bits[i]);
    return out;
  }
  if (dtype === 'BOOL' && (stored as Uint8Array).some((v) => v > 1)) {
    throw new SafetensorsError(`tensor '${name}': BOOL values must be 0 or 1`);
  }
  return stored as SafetensorsTensor['data'];
}

/**
 * Encodes tensors as a safetensors file. Tensors are laid out by decreasing
 * element size, then by name, so that every tensor starts at a multiple of
 * its element size (the header is padded to a multiple of 8 bytes).
 * F16/BF16 data is given as float numbers and rounded to nearest even.
 * @throws SafetensorsError for an unknown dtype, a data array of the wrong
 *   class or length, a BOOL value other than 0 or 1, or the reserved name
 *   `__metadata__`.
 */
export function serializeSafetensors(
  tensors: Record<string, SafetensorsTensorInput> | ReadonlyMap<string, SafetensorsTensorInput>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const pairs: [string, SafetensorsTensorInput][] =
    tensors instanceof Map
      ? [...(tensors as ReadonlyMap<string, SafetensorsTensorInput>)]
      : Object.entries(tensors as Record<string, SafetensorsTensorInput>);
  const list = pairs.map(([name, tensor]) => {
    validateForWriting(name, tensor);
    return { name, tensor, size: DTYPES[tensor.dtype].bytes };
  });
  list.sort((a, b) => b.size - a.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      throw new SafetensorsError(`metadata: the value of '${key}' must be a string, got ${typeof value}`);
    }
  }

  // Entries, not assignments: `header[name] = ...` would set the prototype for a tensor named "__proto__".
  const header: [string, unknown][] = [];
  if (Object.keys(metadata).length > 0) header.push([METADATA_KEY, metadata]);
  let offset = 0;
  for (const { name, tensor, size } of list) {
    const end = offset + tensor.data.length * size;
    header.push([name, { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, end] }]);
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(Object.fromEntries(header)));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);

  let position = 8 + headerLength;
  for (const { tensor, size } of list) {
    const raw = encodeData(tensor);
    const chunk = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    out.set(chunk, position);
    swapBytes(out.subarray(position, position + chunk.length), size);
    position += chunk.length;
  }
  return out;
}

function validateForWriting(name: string, tensor: SafetensorsTensorInput): void {
  if (name === METADATA_KEY)
    throw new SafetensorsError(`'${METADATA_KEY}' is reserved and cannot name a tensor`);
  const { dtype, shape, data } = tensor;
  if (!isDtype(dtype)) {
    throw new SafetensorsError(
      `tensor '${name}': unknown dtype ${JSON.stringify(dtype)}, expected one of ${Object.keys(DTYPES).join(', ')}`,
    );
  }
  if (!isShape(shape))
    throw new SafetensorsError(`tensor '${name}': shape must be an array of non-negative integers`);
  if (!INPUT_ARRAYS[dtype].some((array) => data instanceof array)) {
    const expected = INPUT_ARRAYS[dtype].map((array) => array.name).join(' or ');
    throw new SafetensorsError(
      `tensor '${name}': ${dtype} data must be a ${expected}, got ${data?.constructor?.name}`,
    );
  }
  if (data.length !== elementCount(shape)) {
    throw new SafetensorsError(
      `tensor '${name}': shape [${shape.join(', ')}] has ${elementCount(shape)} elements, data has ${data.length}`,
    );
  }
  if (dtype === 'BOOL' && data.some((v) => v > 1)) {
    throw new SafetensorsError(`tensor '${name}': BOOL values must be 0 or 1`);
  }
}

/** The tensor's values as a typed array of the file's element type (in host byte order). */
function encodeData(tensor: SafetensorsTensorInput): ArrayBufferView {
  if (tensor.dtype === 'F16' || tensor.dtype === 'BF16') {
    const toBits = tensor.dtype === 'F16' ? toFloat16Bits : toBfloat16Bits;
    const bits = new Uint16Array(tensor.data.length);
    for (let i = 0; i < bits.length; i++) bits[i] = toBits(tensor.data[i]);
    return bits;
  }
  return tensor.data;
}

/**
 * 64-bit integers (e.g. PyTorch's `num_batches_tracked`) as an Int32Array.
 * @throws RangeError naming `what` for a value outside [-2^31, 2^31).
 */
export function int64ToInt32(data: BigInt64Array | BigUint64Array, what = 'int64 data'): Int32Array {
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const value = data[i];
    if (value < -2147483648n || value > 2147483647n) {
      throw new RangeError(`${what}: element ${i} = ${value} does not fit in int32`);
    }
    out[i] = Number(value);
  }
  return out;
}

/**
 * 64-bit integers as a Float64Array.
 * @throws RangeError naming `what` for a value beyond +-2^53, which float64 cannot hold exactly.
 */
export function int64ToFloat64(data: BigInt64Array | BigUint64Array, what = 'int64 data'): Float64Array {
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const value = data[i];
    if (value < -9007199254740992n || value > 9007199254740992n) {
      throw new RangeError(`${what}: element ${i} = ${value} is beyond 2^53 and has no exact float64`);
    }
    out[i] = Number(value);
  }
  return out;
}
