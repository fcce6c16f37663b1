import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataFormatError, type IdxData, parseIdx, writeIdx } from '../../src/data/idx.js';

const shapes = fc.array(fc.nat(5), { maxLength: 4 });
const count = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** A shape and an array of every IDX element type with that many elements. */
const tensors = shapes.chain((shape) => {
  const length = { minLength: count(shape), maxLength: count(shape) };
  const data: fc.Arbitrary<IdxData> = fc.oneof(
    fc.uint8Array(length),
    fc.int8Array(length),
    fc.int16Array(length),
    fc.int32Array(length),
    fc.float32Array(length),
    fc.float64Array(length),
  );
  return fc.tuple(fc.constant(shape), data);
});

/** Element-wise equality that treats NaN as equal to NaN and tells 0 from -0. */
const sameValues = (a: IdxData, b: IdxData): boolean =>
  a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => Object.is(v, b[i]));

describe('parseIdx / writeIdx', () => {
  it('round-trips every element type and shape, zero-size included', () => {
    fc.assert(
      fc.property(tensors, ([shape, data]) => {
        const parsed = parseIdx(writeIdx(shape, data));
        expect(parsed.shape).toEqual(shape);
        expect(parsed.data.constructor).toBe(data.constructor);
        expect(sameValues(parsed.data, data)).toBe(true);
      }),
    );
  });

  it('reads big-endian elements into aligned storage, from a view at an odd offset', () => {
    // i16, 1 dimension of 2: 0x0102 = 258 and 0xfffe = -2.
    const file = [0, 0, 0x0b, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe];
    const backing = new Uint8Array(file.length + 1);
    backing.set(file, 1);
    const parsed = parseIdx(backing.subarray(1));
    expect(parsed.shape).toEqual([2]);
    expect(parsed.data).toEqual(new Int16Array([258, -2]));
    expect(parsed.data.byteOffset).toBe(0);
    expect(parsed.data.buffer).not.toBe(backing.buffer);
  });

  it('writes the MNIST header layout', () => {
    const bytes = writeIdx([2, 3], new Uint8Array([1, 2, 3, 4, 5, 6]));
    expect([...bytes]).toEqual([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]);
    expect([...writeIdx([1], new Float32Array([1]))]).toEqual([0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0x80, 0, 0]);
  });

  it('names the source and the problem for malformed input', () => {
    const valid = writeIdx([2, 2], new Uint8Array(4));
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array([0x1f, 0x8b, 8, 0]), /gzip-compressed/],
      [new Uint8Array([0, 0, 8]), /truncated: 3 bytes/],
      [new Uint8Array([1, 2, 8, 1, 0, 0, 0, 0]), /bad magic 0x01 0x02 0x08 0x01/],
      [new Uint8Array([0, 0, 0x0a, 1, 0, 0, 0, 0]), /unknown IDX element type 0x0a/],
      [new Uint8Array([0, 0, 8, 2, 0, 0, 0, 1]), /truncated header: 2 dimensions need 12 bytes/],
      [valid.subarray(0, valid.length - 1), /truncated data: shape \[2, 2\] of u8 needs 4 bytes .* found 3/],
      [new Uint8Array([...valid, 0]), /size mismatch: shape \[2, 2\] of u8 needs 4 bytes .* found 5/],
      // A header claiming more than 2^53 bytes must not overflow into a wrong comparison.
      [new Uint8Array([0, 0, 0x0e, 2, 255, 255, 255, 255, 255, 255, 255, 255]), /truncated data/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => parseIdx(bytes, 'some-file.idx')).toThrow(DataFormatError);
      expect(() => parseIdx(bytes, 'some-file.idx')).toThrow(message);
      expect(() => parseIdx(bytes, 'some-file.idx')).toThrow(/^some-file\.idx: /);
    }
  });

  it('rejects a shape that does not match the data when writing', () => {
    expect(() => writeIdx([2, 3], new Uint8Array(5))).toThrow(/shape \[2, 3\] has 6 elements, data has 5/);
    expect(() => writeIdx([-1], new Uint8Array(0))).toThrow(RangeError);
    expect(() => writeIdx([2 ** 32], new Uint8Array(0))).toThrow(RangeError);
  });
});
