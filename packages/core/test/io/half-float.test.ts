import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBfloat16Bits, fromFloat16Bits, toBfloat16Bits, toFloat16Bits } from '../../src/io/half-float.js';

const formats = [
  { name: 'F16', to: toFloat16Bits, from: fromFloat16Bits, max: 65504 },
  { name: 'BF16', to: toBfloat16Bits, from: fromBfloat16Bits, max: 3.3895313892515355e38 },
] as const;

const isNaNBits = (bits: number, exponentMask: number, mantissaMask: number): boolean =>
  (bits & exponentMask) === exponentMask && (bits & mantissaMask) !== 0;

describe('16-bit floats', () => {
  it('decodes and re-encodes every F16 and BF16 bit pattern exactly', () => {
    for (const [f, exponentMask, mantissaMask] of [
      [formats[0], 0x7c00, 0x03ff],
      [formats[1], 0x7f80, 0x007f],
    ] as const) {
      for (let bits = 0; bits < 0x10000; bits++) {
        const value = f.from(bits);
        if (isNaNBits(bits, exponentMask, mantissaMask)) {
          expect(Number.isNaN(value)).toBe(true);
          expect(isNaNBits(f.to(value), exponentMask, mantissaMask)).toBe(true);
        } else if (f.to(value) !== bits) {
          expect.fail(`${f.name} ${bits.toString(16)} -> ${value} -> ${f.to(value).toString(16)}`);
        }
      }
    }
  });

  it('decodes known F16 and BF16 values', () => {
    expect(fromFloat16Bits(0x3c00)).toBe(1);
    expect(fromFloat16Bits(0xc000)).toBe(-2);
    expect(fromFloat16Bits(0x7bff)).toBe(65504);
    expect(fromFloat16Bits(0x0001)).toBe(2 ** -24);
    expect(fromFloat16Bits(0x0400)).toBe(2 ** -14);
    expect(fromFloat16Bits(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(Object.is(fromFloat16Bits(0x8000), -0)).toBe(true);
    expect(fromBfloat16Bits(0x3f80)).toBe(1);
    expect(fromBfloat16Bits(0x4049)).toBe(3.140625);
    expect(fromBfloat16Bits(0xff80)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('rounds to nearest, ties to even, overflowing to infinity', () => {
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie between 1 and 1 + 2^-10: to even
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie: to even, upwards
    expect(toFloat16Bits(2 ** -25)).toBe(0); // half the smallest subnormal: to even (0)
    expect(toFloat16Bits(3 * 2 ** -25)).toBe(2);
    expect(toFloat16Bits(65519.99)).toBe(0x7bff);
    expect(toFloat16Bits(65520)).toBe(0x7c00);
    expect(toFloat16Bits(-1e9)).toBe(0xfc00);
    expect(toFloat16Bits(-0)).toBe(0x8000);
    expect(toFloat16Bits(Number.NaN)).toBe(0x7e00);
    expect(toBfloat16Bits(Math.PI)).toBe(0x4049);
    expect(toBfloat16Bits(Number.NaN)).toBe(0x7fc0);
    // Straight from float64, no double rounding: just above the tie must round up, although float32 would make it a tie.
    expect(toFloat16Bits(1 + 2 ** -11 + 2 ** -40)).toBe(0x3c01);
  });

  it('chooses the nearest representable value', () => {
    for (const f of formats) {
      fc.assert(
        fc.property(fc.double({ min: -f.max, max: f.max, noNaN: true }), (x) => {
          const bits = f.to(x);
          const error = Math.abs(f.from(bits) - x);
          // Neither neighbour of the same sign (one step smaller or larger in magnitude) is closer.
          const sign = bits & 0x8000;
          const magnitude = bits & 0x7fff;
          for (const neighbour of [magnitude - 1, magnitude + 1]) {
            if (neighbour < 0 || neighbour > f.to(f.max)) continue;
            expect(Math.abs(f.from(sign | neighbour) - x)).toBeGreaterThanOrEqual(error);
          }
        }),
      );
    }
  });

  it('agrees with the float32 bit trick for BF16 on float32 inputs', () => {
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    fc.assert(
      fc.property(fc.float({ noNaN: true }), (x) => {
        f32[0] = x;
        const u = u32[0];
        expect(toBfloat16Bits(x)).toBe(((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff);
      }),
    );
  });
});
