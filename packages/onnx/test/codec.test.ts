import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AttributeProto,
  AttributeType,
  DataType,
  decodeModel,
  decodeTensor,
  emptyTensor,
  encodeModel,
  encodeTensor,
  floatTensor,
  int64Tensor,
  type ModelProto,
  type NodeProto,
  OnnxFormatError,
  type TensorProto,
  tensorValues,
} from '../src/index.js';
import { WireReader, WireWriter } from '../src/proto/wire.js';
import { MODELS } from './helpers.js';

const safeInt = fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
const float32 = fc.float({ noNaN: true, noDefaultInfinity: true }).map(Math.fround);
const name = fc.string({ maxLength: 12 });

const tensor: fc.Arbitrary<TensorProto> = fc.record({
  name,
  dims: fc.array(fc.nat({ max: 1000 }), { maxLength: 4 }),
  dataType: fc.nat({ max: 16 }),
  floatData: fc.array(float32, { maxLength: 8 }),
  int32Data: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 8 }),
  int64Data: fc.array(safeInt, { maxLength: 8 }),
  doubleData: fc.array(fc.double({ noNaN: true }), { maxLength: 8 }),
  rawData: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
  dataLocation: fc.constant(0),
  externalDataEntries: fc.constant(0),
});

const attribute: fc.Arbitrary<AttributeProto> = fc.record(
  {
    name,
    type: fc.constantFrom(...Object.values(AttributeType)),
    f: float32,
    i: safeInt,
    s: fc.uint8Array({ maxLength: 16 }),
    t: tensor,
    floats: fc.array(float32, { maxLength: 6 }),
    ints: fc.array(safeInt, { maxLength: 6 }),
    hasGraph: fc.constant(false),
  },
  { requiredKeys: ['name', 'type', 'floats', 'ints', 'hasGraph'] },
);

const nodeProto: fc.Arbitrary<NodeProto> = fc.record({
  name,
  opType: fc.string({ minLength: 1, maxLength: 10 }),
  domain: name,
  input: fc.array(name, { maxLength: 4 }),
  output: fc.array(name, { maxLength: 3 }),
  attribute: fc.array(attribute, { maxLength: 3 }),
});

const dimension = fc.oneof(
  fc.record({ value: fc.nat({ max: 2 ** 40 }) }),
  fc.record({ param: fc.string({ maxLength: 8 }) }),
  fc.constant({}),
);
const valueInfo = fc.record(
  {
    name,
    tensorType: fc.record(
      { elemType: fc.nat({ max: 16 }), shape: fc.array(dimension, { maxLength: 4 }) },
      { requiredKeys: ['elemType'] },
    ),
  },
  { requiredKeys: ['name'] },
);

const modelProto: fc.Arbitrary<ModelProto> = fc.record({
  irVersion: fc.nat({ max: 12 }),
  opsetImport: fc.array(fc.record({ domain: name, version: fc.nat({ max: 30 }) }), { maxLength: 3 }),
  producerName: name,
  producerVersion: name,
  graph: fc.record({
    name,
    node: fc.array(nodeProto, { maxLength: 4 }),
    initializer: fc.array(tensor, { maxLength: 3 }),
    input: fc.array(valueInfo, { maxLength: 2 }),
    output: fc.array(valueInfo, { maxLength: 2 }),
    valueInfo: fc.array(valueInfo, { maxLength: 2 }),
  }),
});

function varintBytes(value: number | bigint): number[] {
  const w = new WireWriter();
  w.varint(value);
  return [...w.finish()];
}

describe('wire format', () => {
  it('encodes varints at the 7-bit, 2^31, 2^32 and 2^53 edges as protobuf does', () => {
    expect(varintBytes(127)).toEqual([0x7f]);
    expect(varintBytes(128)).toEqual([0x80, 0x01]);
    expect(varintBytes(2 ** 31)).toEqual([0x80, 0x80, 0x80, 0x80, 0x08]);
    expect(varintBytes(2 ** 32)).toEqual([0x80, 0x80, 0x80, 0x80, 0x10]);
    expect(varintBytes(2 ** 53 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    // Negative int64s are ten bytes of two's complement.
    expect(varintBytes(-1)).toEqual([...Array(9).fill(0xff), 0x01]);
  });

  it('reads back every varint it writes, for integers in ±(2^53 - 1) (exact)', () => {
    const edges = [0, 1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1), -1];
    fc.assert(
      fc.property(fc.oneof(safeInt, fc.constantFrom(...edges)), (v) => {
        const r = new WireReader(new Uint8Array(varintBytes(v)));
        expect(r.int()).toBe(v);
        expect(r.pos).toBe(varintBytes(v).length);
      }),
    );
  });

  it('rejects integers beyond 2^53 and over-long varints with OnnxFormatError and the offset', () => {
    const big = new WireReader(new Uint8Array(varintBytes(2n ** 53n)));
    expect(() => big.int()).toThrow(/outside ±\(2\^53 - 1\).*at byte 0/);
    const long = new WireReader(new Uint8Array([...Array(10).fill(0x80), 0x01]));
    expect(() => long.uint()).toThrow(OnnxFormatError);
    const overflow = new WireReader(new Uint8Array([...Array(9).fill(0xff), 0x7f]));
    expect(() => overflow.varintBig()).toThrow(/exceeds 64 bits/);
  });

  it('reads packed and unpacked repeated fields alike', () => {
    const packed = new WireWriter();
    packed.packedInts(1, [3, 300, 5]);
    const unpacked = new WireWriter();
    for (const d of [3, 300, 5]) unpacked.intField(1, d);
    unpacked.intField(2, 1);
    expect(decodeTensor(packed.finish()).dims).toEqual([3, 300, 5]);
    expect(decodeTensor(unpacked.finish()).dims).toEqual([3, 300, 5]);
  });

  it('skips fields it does not know, of every wire type', () => {
    const w = new WireWriter();
    w.intField(99, 12345);
    w.floatField(98, 1.5);
    w.packedDoubles(96, [1, 2]);
    w.stringField(8, 'kept');
    w.bytesField(95, new Uint8Array([1, 2, 3]));
    // Field 97 as fixed64: tag 97 * 8 + 1 = 777, then eight bytes.
    const fixed64 = [0x89, 0x06, 1, 2, 3, 4, 5, 6, 7, 8];
    expect(decodeTensor(new Uint8Array([...fixed64, ...w.finish()])).name).toBe('kept');
  });
});

describe('ONNX messages', () => {
  it('decode(encode(model)) is the model, for random ModelProtos (exact)', () => {
    fc.assert(
      fc.property(modelProto, (m) => {
        expect(decodeModel(encodeModel(m))).toEqual(m);
      }),
      { numRuns: 200 },
    );
  });

  it('decode(encode(tensor)) is the tensor, for random TensorProtos (exact)', () => {
    fc.assert(
      fc.property(tensor, (t) => {
        expect(decodeTensor(encodeTensor(t))).toEqual(t);
      }),
    );
  });

  it('re-encodes the reference LeNet-5 file into bytes that decode to the same model', () => {
    const bytes = new Uint8Array(readFileSync(`${MODELS}fmnist-lenet5.onnx`));
    const m = decodeModel(bytes);
    expect(decodeModel(encodeModel(m))).toEqual(m);
  });
});

describe('malformed bytes', () => {
  const bytes = new Uint8Array(readFileSync(`${MODELS}fmnist-lenet5.onnx`));

  it('a truncated model throws OnnxFormatError naming what was read and where', () => {
    const cut = bytes.subarray(0, Math.floor(bytes.length / 2));
    expect(() => decodeModel(cut)).toThrow(OnnxFormatError);
    expect(() => decodeModel(cut)).toThrow(/runs past the end .* while reading ModelProto\.graph at byte 20/);
    // A node's attribute list cut short is reported at its own path.
    const node = encodeModel({ ...decodeModel(bytes), opsetImport: [] });
    const at = node.length - 30;
    expect(() => decodeModel(node.subarray(0, at))).toThrow(/while reading ModelProto\.graph/);
  });

  it('every prefix of a model either decodes or throws OnnxFormatError, never another error', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), (n) => {
        try {
          decodeModel(bytes.subarray(0, n));
        } catch (e) {
          expect(e).toBeInstanceOf(OnnxFormatError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes and corrupted models throw only OnnxFormatError', () => {
    const corrupt = fc
      .tuple(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 255 }))
      .map(([at, v]) => {
        const copy = bytes.slice(0, 4000);
        copy[at] = v;
        return copy;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), corrupt), (data) => {
        try {
          decodeModel(data);
        } catch (e) {
          expect(e).toBeInstanceOf(OnnxFormatError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('bytes that are not ONNX at all say so', () => {
    expect(() => decodeModel(new TextEncoder().encode('{"not": "onnx"}'))).toThrow(OnnxFormatError);
    expect(() => decodeModel(new Uint8Array())).toThrow(/no graph/);
  });
});

describe('tensor values', () => {
  const base = { ...emptyTensor('t'), dims: [2, 2] };

  it('float_data, raw float32, double_data and raw float16 give the same values (exact for these)', () => {
    const values = [1.5, -2, 0.25, 1024];
    const half = new Uint8Array(new Uint16Array([0x3e00, 0xc000, 0x3400, 0x6400]).buffer);
    const forms: TensorProto[] = [
      { ...base, dataType: DataType.float, floatData: values },
      floatTensor('t', [2, 2], values),
      { ...base, dataType: DataType.double, doubleData: values },
      { ...base, dataType: DataType.float16, rawData: half },
    ];
    for (const t of forms) expect(Array.from(tensorValues(t, 't').data)).toEqual(values);
  });

  it('int64 raw and int64_data agree, including negative values', () => {
    const ints = [-1, 0, 2 ** 40, -(2 ** 33)];
    expect(tensorValues(int64Tensor('s', ints, [2, 2]), 's').data).toEqual(ints);
    expect(tensorValues({ ...base, dataType: DataType.int64, int64Data: ints }, 's').data).toEqual(ints);
  });

  it('a value count that does not match the dims is an error naming the tensor', () => {
    expect(() =>
      tensorValues({ ...base, dataType: DataType.float, floatData: [1, 2, 3] }, "initializer 'w'"),
    ).toThrow("initializer 'w': holds 3 values, expected 4 for shape [2,2]");
  });
});
