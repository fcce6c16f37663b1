import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBfloat16Bits, fromFloat16Bits } from '../../src/io/half-float.js';
import {
  int64ToFloat64,
  int64ToInt32,
  parseSafetensors,
  type SafetensorsDtype,
  SafetensorsError,
  type SafetensorsTensor,
  serializeSafetensors,
} from '../../src/io/safetensors.js';

const ELEMENT_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

/** Values of `length` elements that each dtype can hold exactly. */
function values(dtype: SafetensorsDtype, length: number): fc.Arbitrary<SafetensorsTensor['data']> {
  const n = { minLength: length, maxLength: length };
  const halfs = (decode: (bits: number) => number, nan: (bits: number) => boolean) =>
    fc
      .array(
        fc.integer({ min: 0, max: 0xffff }).filter((b) => !nan(b)),
        n,
      )
      .map((bits) => Float32Array.from(bits, decode));
  switch (dtype) {
    case 'F64':
      return fc.float64Array(n);
    case 'F32':
      return fc.float32Array(n);
    case 'F16':
      return halfs(fromFloat16Bits, (b) => (b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0);
    case 'BF16':
      return halfs(fromBfloat16Bits, (b) => (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0);
    case 'I64':
      return fc.bigInt64Array(n);
    case 'I32':
      return fc.int32Array(n);
    case 'I16':
      return fc.int16Array(n);
    case 'I8':
      return fc.int8Array(n);
    case 'U64':
      return fc.bigUint64Array(n);
    case 'U32':
      return fc.uint32Array(n);
    case 'U16':
      return fc.uint16Array(n);
    case 'U8':
      return fc.uint8Array(n);
    case 'BOOL':
      return fc.uint8Array({ ...n, max: 1 });
  }
}

const tensor: fc.Arbitrary<SafetensorsTensor> = fc
  .tuple(
    fc.constantFrom(...(Object.keys(ELEMENT_BYTES) as SafetensorsDtype[])),
    fc.array(fc.nat(4), { maxLength: 4 }),
  )
  .chain(([dtype, shape]) =>
    values(
      dtype,
      shape.reduce((a, b) => a * b, 1),
    ).map((data) => ({ dtype, shape, data }) as SafetensorsTensor),
  );

const names = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== '__metadata__');

/** Element-wise equality that treats NaN as NaN and tells 0 from -0. */
const same = (a: ArrayLike<unknown>, b: ArrayLike<unknown>): boolean =>
  a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

/** A file from a header object and a data section, as another writer might produce it. */
function file(header: unknown, data: number[] = [], rawHeader?: string | Uint8Array): Uint8Array {
  const json =
    rawHeader instanceof Uint8Array
      ? rawHeader
      : new TextEncoder().encode(rawHeader ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const sharedModels = new URL('../../../../../shared/models/', import.meta.url);

describe('safetensors', () => {
  it('round-trips every dtype, random shapes (zero-size included), names and metadata', () => {
    fc.assert(
      fc.property(
        fc.dictionary(names, tensor, { maxKeys: 6 }),
        fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
        (tensors, metadata) => {
          const bytes = serializeSafetensors(tensors, metadata);
          const parsed = parseSafetensors(bytes);
          expect(parsed.metadata).toEqual(metadata);
          expect([...parsed.tensors.keys()].sort()).toEqual(Object.keys(tensors).sort());
          for (const [name, t] of Object.entries(tensors)) {
            const back = parsed.tensors.get(name)!;
            expect(back.dtype).toBe(t.dtype);
            expect(back.shape).toEqual(t.shape);
            expect(back.data.constructor).toBe(t.data.constructor);
            expect(same(back.data, t.data)).toBe(true);
          }
        },
      ),
    );
  });

  it('keeps names that are special in JavaScript objects', () => {
    const tensors = Object.fromEntries(
      ['__proto__', 'constructor', 'toString'].map((name, i) => [
        name,
        { dtype: 'U8', shape: [1], data: new Uint8Array([i]) } as SafetensorsTensor,
      ]),
    );
    const metadata = Object.fromEntries([
      ['__proto__', 'p'],
      ['hasOwnProperty', 'h'],
    ]);
    const parsed = parseSafetensors(serializeSafetensors(tensors, metadata));
    expect([...parsed.tensors.keys()].sort()).toEqual(['__proto__', 'constructor', 'toString']);
    expect(parsed.tensors.get('__proto__')!.data).toEqual(new Uint8Array([0]));
    expect(Object.entries(parsed.metadata)).toEqual([
      ['__proto__', 'p'],
      ['hasOwnProperty', 'h'],
    ]);
  });

  it('pads the header to 8 bytes and aligns every tensor to its element size', () => {
    fc.assert(
      fc.property(fc.dictionary(names, tensor, { minKeys: 1, maxKeys: 6 }), (tensors) => {
        const bytes = serializeSafetensors(tensors);
        const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
        expect(headerLength % 8).toBe(0);
        const text = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
        expect(text).toMatch(/^\{.*\} *$/s);
        const header = JSON.parse(text) as Record<
          string,
          { dtype: SafetensorsDtype; data_offsets: number[] }
        >;
        let covered = 0;
        for (const {
          dtype,
          data_offsets: [begin, end],
        } of Object.values(header)) {
          expect(begin % ELEMENT_BYTES[dtype]).toBe(0);
          covered += end - begin;
        }
        expect(8 + headerLength + covered).toBe(bytes.length); // no gaps, nothing after the data
      }),
    );
  });

  it('decodes little-endian data into aligned copies, from a view at an odd offset', () => {
    const bytes = file(
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'I64', shape: [], data_offsets: [8, 16] },
      },
      [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    );
    const backing = new Uint8Array(bytes.length + 3);
    backing.set(bytes, 3);
    const parsed = parseSafetensors(backing.subarray(3));
    const a = parsed.tensors.get('a')!;
    expect(a.data).toEqual(new Float32Array([1, -2]));
    expect(a.data.byteOffset).toBe(0);
    expect(a.data.buffer).not.toBe(backing.buffer);
    expect(parsed.tensors.get('b')).toEqual({ dtype: 'I64', shape: [], data: new BigInt64Array([-2n]) });
    expect(parsed.metadata).toEqual({});
  });

  it('writes F16 and BF16 from floats, rounding to nearest', () => {
    const bytes = serializeSafetensors({
      h: { dtype: 'F16', shape: [2], data: new Float64Array([1 / 3, 70000]) },
      b: { dtype: 'BF16', shape: [1], data: new Float32Array([Math.PI]) },
    });
    const parsed = parseSafetensors(bytes);
    expect(parsed.tensors.get('h')!.data).toEqual(
      new Float32Array([0.333251953125, Number.POSITIVE_INFINITY]),
    );
    expect(parsed.tensors.get('b')!.data).toEqual(new Float32Array([3.140625]));
  });

  it('rejects malformed files with a clear error', () => {
    const f32 = (offsets: number[], shape = [2]) => ({ dtype: 'F32', shape, data_offsets: offsets });
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(5), /too short for the 8-byte header length/],
      [file({}).subarray(0, 9), /header length 2 goes beyond the end of the file \(1 bytes/],
      [file(null, [], '{"a": '), /header is not valid UTF-8 JSON/],
      [file(null, [], '[1, 2]'), /header must be a JSON object/],
      [
        file(null, [], new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x7b, 0x7d, 0x7d])),
        /not valid UTF-8 JSON/,
      ],
      [
        file({ w: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, [0]),
        /tensor 'w': unknown dtype "F8", expected one of F64, F32/,
      ],
      [file({ w: f32([0, 8], [2, -1]) }, Array(8).fill(0)), /tensor 'w': shape must be/],
      [file({ w: f32([0, 8]) }, Array(7).fill(0)), /data_offsets \[0, 8\] go beyond the 7 bytes of data/],
      [file({ w: f32([0, 12]) }, Array(12).fill(0)), /hold 12 bytes, shape \[2\] of F32 needs 8/],
      [
        file({ w: f32([8, 0]) }, Array(8).fill(0)),
        /data_offsets must be \[begin, end\] with 0 <= begin <= end/,
      ],
      [
        file({ v: f32([0, 8]), w: f32([4, 12]) }, Array(12).fill(0)),
        /tensors 'v' \[0, 8\] and 'w' \[4, 12\] overlap/,
      ],
      [file({ __metadata__: { a: 1 } }), /__metadata__: the value of 'a' must be a string/],
      [
        file({ b: { dtype: 'BOOL', shape: [1], data_offsets: [0, 1] } }, [2]),
        /tensor 'b': BOOL values must be 0 or 1/,
      ],
    ];
    for (const [bytes, message] of cases) {
      expect(() => parseSafetensors(bytes)).toThrow(SafetensorsError);
      expect(() => parseSafetensors(bytes)).toThrow(message);
    }
    // Empty tensors occupy no bytes, so they may sit anywhere in range without overlapping.
    const empty = file({ v: f32([0, 8]), e: f32([4, 4], [0]) }, Array(8).fill(0));
    expect(parseSafetensors(empty).tensors.get('e')!.shape).toEqual([0]);
  });

  it('refuses to write what it could not read back', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [
        { x: { dtype: 'F32', shape: [3], data: new Float32Array(2) } },
        /shape \[3\] has 3 elements, data has 2/,
      ],
      [
        { x: { dtype: 'F32', shape: [2], data: new Float64Array(2) } },
        /F32 data must be a Float32Array, got Float64Array/,
      ],
      [{ x: { dtype: 'I64', shape: [1], data: new Int32Array(1) } }, /I64 data must be a BigInt64Array/],
      [{ x: { dtype: 'C64', shape: [1], data: new Float32Array(1) } }, /unknown dtype "C64"/],
      [{ x: { dtype: 'BOOL', shape: [1], data: new Uint8Array([3]) } }, /BOOL values must be 0 or 1/],
      [{ __metadata__: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } }, /'__metadata__' is reserved/],
    ];
    for (const [tensors, message] of bad) {
      expect(() => serializeSafetensors(tensors as Record<string, SafetensorsTensor>)).toThrow(
        SafetensorsError,
      );
      expect(() => serializeSafetensors(tensors as Record<string, SafetensorsTensor>)).toThrow(message);
    }
    expect(() => serializeSafetensors({}, { n: 1 as unknown as string })).toThrow(
      /metadata: the value of 'n'/,
    );
  });

  it('converts 64-bit integers with a range check', () => {
    expect(int64ToInt32(new BigInt64Array([-2147483648n, 0n, 2147483647n]))).toEqual(
      new Int32Array([-2147483648, 0, 2147483647]),
    );
    expect(() => int64ToInt32(new BigInt64Array([2147483648n]), 'steps')).toThrow(
      /steps: element 0 = 2147483648/,
    );
    expect(int64ToFloat64(new BigUint64Array([2n ** 53n]))).toEqual(new Float64Array([2 ** 53]));
    expect(() => int64ToFloat64(new BigInt64Array([1n, -(2n ** 53n) - 1n]))).toThrow(
      /element 1 = -9007199254740993/,
    );
  });

  it("reads PyTorch's state_dict of the reference LeNet-5 and writes it back unchanged", () => {
    const original = parseSafetensors(readFileSync(new URL('fmnist-lenet5.safetensors', sharedModels)));
    const shapes = Object.fromEntries([...original.tensors].map(([name, t]) => [name, t.shape]));
    expect(shapes).toEqual({
      'conv1.weight': [6, 1, 5, 5],
      'conv1.bias': [6],
      'conv2.weight': [16, 6, 5, 5],
      'conv2.bias': [16],
      'fc1.weight': [120, 400],
      'fc1.bias': [120],
      'fc2.weight': [84, 120],
      'fc2.bias': [84],
      'fc3.weight': [10, 84],
      'fc3.bias': [10],
    });
    let params = 0;
    for (const t of original.tensors.values()) {
      expect(t.dtype).toBe('F32');
      expect(t.data.every((v) => Number.isFinite(v) && Math.abs(Number(v)) < 10)).toBe(true);
      params += t.data.length;
    }
    expect(params).toBe(61_706); // as in shared/models/README.md
    expect(original.metadata.test_accuracy).toBe('0.9046');

    const again = parseSafetensors(serializeSafetensors(original.tensors, original.metadata));
    expect(again).toEqual(original);
  });

  it("reads the reference ResNet-8's int64 BatchNorm counters", () => {
    const { tensors } = parseSafetensors(readFileSync(new URL('fmnist-resnet8.safetensors', sharedModels)));
    const counter = tensors.get('stem.1.num_batches_tracked')!;
    expect(counter.dtype).toBe('I64');
    expect(counter.shape).toEqual([]);
    const [steps] = int64ToInt32(counter.data as BigInt64Array);
    expect(steps).toBeGreaterThan(0);
    const variance = tensors.get('stem.1.running_var')!;
    expect(variance.shape).toEqual([16]);
    expect(variance.data.every((v) => Number(v) > 0)).toBe(true);
  });
});
