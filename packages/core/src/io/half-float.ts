/**
 * Conversions between JavaScript numbers and the bits of 16-bit floats:
 * IEEE 754 binary16 ("F16": 5 exponent bits, 10 mantissa bits) and bfloat16
 * ("BF16": float32's 8 exponent bits, 7 mantissa bits). Node 20 has no
 * Float16Array, so these work on the raw 16-bit patterns.
 *
 * Encoding rounds to nearest, ties to even, straight from the float64 value
 * (no intermediate float32, so no double rounding); values past the largest
 * finite one round to infinity and NaN becomes the canonical quiet NaN.
 * Decoding is exact: every 16-bit float is a float32 and a float64.
 */

interface Format {
  exponentBits: number;
  mantissaBits: number;
  bias: number;
  /** Bits of infinity (exponent all ones, mantissa zero). */
  infinity: number;
  quietNaN: number;
  /** Smallest magnitude that rounds to infinity: halfway between the largest finite value and 2^(emax+1). */
  overflow: number;
}

function format(exponentBits: number, mantissaBits: number): Format {
  const bias = 2 ** (exponentBits - 1) - 1;
  const infinity = ((1 << exponentBits) - 1) << mantissaBits;
  return {
    exponentBits,
    mantissaBits,
    bias,
    infinity,
    quietNaN: infinity | (1 << (mantissaBits - 1)),
    overflow: (2 - 2 ** -(mantissaBits + 1)) * 2 ** bias,
  };
}

const F16 = format(5, 10);
const BF16 = format(8, 7);

/** Rounds to the nearest integer, ties to even; exact for the scaled values used here. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const rest = x - floor;
  if (rest > 0.5) return floor + 1;
  if (rest < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

function encode(value: number, f: Format): number {
  if (Number.isNaN(value)) return f.quietNaN;
  const sign = value < 0 || Object.is(value, -0) ? 1 << (f.exponentBits + f.mantissaBits) : 0;
  const magnitude = Math.abs(value);
  if (magnitude >= f.overflow) return sign | f.infinity;
  const minNormalExponent = 1 - f.bias;
  if (magnitude < 2 ** minNormalExponent) {
    // Subnormal: an integer number of the smallest steps. Rounding up to 2^mantissaBits
    // steps gives the bits of the smallest normal number, which is the right answer.
    return sign | roundHalfEven(magnitude * 2 ** (f.mantissaBits - minNormalExponent));
  }
  let exponent = Math.floor(Math.log2(magnitude));
  // log2 may be off by one next to powers of two; fix it exactly.
  if (2 ** exponent > magnitude) exponent--;
  else if (2 ** (exponent + 1) <= magnitude) exponent++;
  let mantissa = roundHalfEven((magnitude / 2 ** exponent - 1) * 2 ** f.mantissaBits);
  if (mantissa === 2 ** f.mantissaBits) {
    mantissa = 0;
    exponent++;
  }
  return sign | ((exponent + f.bias) << f.mantissaBits) | mantissa;
}

function decode(bits: number, f: Format): number {
  const sign = bits >> (f.exponentBits + f.mantissaBits) ? -1 : 1;
  const exponent = (bits >> f.mantissaBits) & ((1 << f.exponentBits) - 1);
  const mantissa = bits & ((1 << f.mantissaBits) - 1);
  if (exponent === 0) return sign * mantissa * 2 ** (1 - f.bias - f.mantissaBits);
  if (exponent === (1 << f.exponentBits) - 1)
    return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mantissa * 2 ** -f.mantissaBits) * 2 ** (exponent - f.bias);
}

/** The binary16 bits nearest to `value`. */
export function toFloat16Bits(value: number): number {
  return encode(value, F16);
}

/** The value of binary16 bits (the low 16 bits of `bits`). */
export function fromFloat16Bits(bits: number): number {
  return decode(bits & 0xffff, F16);
}

/** The bfloat16 bits nearest to `value`. */
export function toBfloat16Bits(value: number): number {
  return encode(value, BF16);
}

/** The value of bfloat16 bits (the low 16 bits of `bits`). */
export function fromBfloat16Bits(bits: number): number {
  return decode(bits & 0xffff, BF16);
}
