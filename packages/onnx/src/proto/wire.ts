import { OnnxFormatError } from '../errors.js';

/** Protobuf wire types (the low three bits of a field's tag). */
export const WireType = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const;

const TWO_32 = 2 ** 32;

/**
 * Reads protobuf wire format from a byte array. Every read checks the bounds and throws an
 * `OnnxFormatError` naming the message path being read (kept by `enter`/`leave`).
 */
export class WireReader {
  pos = 0;
  private readonly view: DataView;
  private readonly path: string[] = [];

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(reason: string, at = this.pos): never {
    throw new OnnxFormatError(this.path.join('.') || '(top level)', at, reason);
  }

  enter(name: string): void {
    this.path.push(name);
  }
  leave(): void {
    this.path.pop();
  }

  /** An unsigned varint up to 64 bits, as a BigInt. */
  varintBig(): bigint {
    const start = this.pos;
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.bytes.length) this.fail('truncated varint', start);
      const b = this.bytes[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) {
        if (result >= 1n << 64n) this.fail('varint exceeds 64 bits', start);
        return result;
      }
    }
    return this.fail('varint longer than 10 bytes', start);
  }

  /** A varint as a non-negative number; an error when it is above 2^53 - 1 (a length, say). */
  uint(): number {
    // Fast path: up to four bytes fit a 28-bit number exactly.
    const start = this.pos;
    let result = 0;
    for (let i = 0; i < 4 && this.pos < this.bytes.length; i++) {
      const b = this.bytes[this.pos++];
      result += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) return result;
    }
    this.pos = start;
    const big = this.varintBig();
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`value ${big} exceeds 2^53 - 1`, start);
    return Number(big);
  }

  /** An int64/int32 varint (two's complement), as a number; an error outside ±(2^53 - 1). */
  int(): number {
    const start = this.pos;
    const first = this.bytes[this.pos];
    if (first !== undefined && first < 0x80) {
      this.pos++;
      return first;
    }
    const value = BigInt.asIntN(64, this.varintBig());
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
      this.fail(`integer ${value} is outside ±(2^53 - 1)`, start);
    }
    return Number(value);
  }

  float32(): number {
    this.need(4, 'fixed32');
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  float64(): number {
    this.need(8, 'fixed64');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A length-delimited field's bytes (a view, not a copy). */
  bytesField(): Uint8Array {
    const start = this.pos;
    const length = this.uint();
    if (length > this.bytes.length - this.pos) {
      this.fail(`length ${length} runs past the end (${this.bytes.length - this.pos} bytes left)`, start);
    }
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  string(): string {
    const start = this.pos;
    const bytes = this.bytesField();
    try {
      return utf8.decode(bytes);
    } catch {
      return this.fail('invalid UTF-8 in a string field', start);
    }
  }

  /** Reads a tag; returns [field number, wire type]. */
  tag(): [number, number] {
    const start = this.pos;
    const tag = this.uint();
    const field = Math.floor(tag / 8);
    if (field === 0) this.fail('field number 0', start);
    return [field, tag & 7];
  }

  /** Skips a field of an unknown number. */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.varint:
        this.varintBig();
        return;
      case WireType.fixed64:
        this.need(8, 'fixed64');
        this.pos += 8;
        return;
      case WireType.lengthDelimited:
        this.bytesField();
        return;
      case WireType.fixed32:
        this.need(4, 'fixed32');
        this.pos += 4;
        return;
      default:
        this.fail(`unsupported wire type ${wireType}`);
    }
  }

  /** Reads the fields of a message that ends at `end`, calling `field` for each. */
  message(name: string, end: number, field: (field: number, wireType: number) => void): void {
    this.enter(name);
    this.fields(end, field);
    this.leave();
  }

  /** A nested message: its length, then its fields. */
  nested(name: string, field: (field: number, wireType: number) => void): void {
    this.enter(name);
    const start = this.pos;
    const length = this.uint();
    if (length > this.bytes.length - this.pos) {
      this.fail(
        `message length ${length} runs past the end (${this.bytes.length - this.pos} bytes left)`,
        start,
      );
    }
    this.fields(this.pos + length, field);
    this.leave();
  }

  private fields(end: number, field: (field: number, wireType: number) => void): void {
    while (this.pos < end) {
      const [number, wireType] = this.tag();
      field(number, wireType);
    }
    if (this.pos !== end) this.fail('a field runs past the end of its message');
  }

  /** Checks a field's wire type. */
  expect(wireType: number, actual: number, field: string): void {
    if (wireType !== actual) this.fail(`field '${field}' has wire type ${actual}, expected ${wireType}`);
  }

  /** A repeated scalar field, packed (one length-delimited run) or not (one value per tag). */
  repeated(wireType: number, elementType: number, field: string, read: () => number, out: number[]): void {
    if (wireType === WireType.lengthDelimited && elementType !== WireType.lengthDelimited) {
      const start = this.pos;
      const length = this.uint();
      const end = this.pos + length;
      if (length > this.bytes.length - this.pos) this.fail(`packed '${field}' runs past the end`, start);
      while (this.pos < end) out.push(read());
      if (this.pos !== end) this.fail(`packed '${field}' ends inside a value`);
      return;
    }
    this.expect(elementType, wireType, field);
    out.push(read());
  }

  private need(n: number, what: string): void {
    if (this.bytes.length - this.pos < n) this.fail(`truncated ${what}`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** Writes protobuf wire format into a growing buffer. */
export class WireWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private length = 0;

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** A varint: non-negative numbers as they are, negative ones as 64-bit two's complement (10 bytes). */
  varint(value: number | bigint): void {
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf: ${value} is not a safe integer`);
      if (value >= 0 && value < TWO_32) {
        this.reserve(5);
        let v = value;
        while (v >= 0x80) {
          this.buf[this.length++] = (v & 0x7f) | 0x80;
          v = Math.floor(v / 128);
        }
        this.buf[this.length++] = v;
        return;
      }
      value = BigInt(value);
    }
    let v = BigInt.asUintN(64, value);
    this.reserve(10);
    while (v >= 0x80n) {
      this.buf[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.length++] = Number(v);
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  intField(field: number, value: number): void {
    this.tag(field, WireType.varint);
    this.varint(value);
  }

  floatField(field: number, value: number): void {
    this.tag(field, WireType.fixed32);
    this.reserve(4);
    this.view.setFloat32(this.length, value, true);
    this.length += 4;
  }

  bytesField(field: number, bytes: Uint8Array): void {
    this.tag(field, WireType.lengthDelimited);
    this.varint(bytes.length);
    this.reserve(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  stringField(field: number, value: string): void {
    this.bytesField(field, utf8Encoder.encode(value));
  }

  /** A nested message written by `write` into its own buffer. */
  messageField(field: number, write: (w: WireWriter) => void): void {
    const inner = new WireWriter();
    write(inner);
    this.bytesField(field, inner.buf.subarray(0, inner.length));
  }

  packedInts(field: number, values: readonly number[]): void {
    if (values.length === 0) return;
    const inner = new WireWriter();
    for (const v of values) inner.varint(v);
    this.bytesField(field, inner.buf.subarray(0, inner.length));
  }

  packedFloats(field: number, values: ArrayLike<number>): void {
    if (values.length === 0) return;
    const data = new Uint8Array(values.length * 4);
    const view = new DataView(data.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
    this.bytesField(field, data);
  }

  packedDoubles(field: number, values: ArrayLike<number>): void {
    if (values.length === 0) return;
    const data = new Uint8Array(values.length * 8);
    const view = new DataView(data.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true);
    this.bytesField(field, data);
  }
}
