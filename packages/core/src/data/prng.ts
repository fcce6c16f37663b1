/**
 * A small, fast, seeded pseudo-random generator for reproducible shuffles and
 * initialisations.
 *
 * The generator is xoshiro128** (128 bits of state, period 2^128 - 1, passes
 * the usual statistical batteries) and its state is filled from the seed by a
 * splitmix32-style mixer, so nearby seeds (0, 1, 2...) give unrelated
 * streams. It is not cryptographically secure.
 *
 * The stream for a given seed is part of the contract: tests and examples rely
 * on `new SeededRandom(seed)` producing the same numbers on every platform and
 * in every release. Change it only with a note in the changelog.
 */
export class SeededRandom {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** The second value of the last Box-Muller pair, consumed by the next `normal()` call. */
  private spareNormal: number | undefined;

  /** @param seed any safe integer (negative allowed); both 32-bit halves affect the stream. */
  constructor(seed = 0) {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`SeededRandom: the seed must be a safe integer, got ${seed}`);
    }
    const low = Number(BigInt.asUintN(32, BigInt(seed)));
    const high = Number(BigInt.asUintN(32, BigInt(seed) >> 32n));
    let mixer = (low ^ Math.imul(high, 0x9e3779b1)) >>> 0;
    const draw = (): number => {
      mixer = (mixer + 0x9e3779b9) >>> 0;
      let z = mixer;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = draw();
    this.s1 = draw();
    this.s2 = draw();
    this.s3 = draw();
    // xoshiro must never have an all-zero state; the mixer makes it practically impossible, this makes it certain.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniformly distributed integer in [0, 2^32). */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits (every representable multiple of 2^-53). */
  next(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /**
   * A uniform number in [0, 1) with 24 random bits, exactly representable as a
   * float32. Use it to fill a Float32Array: rounding a 53-bit `next()` to
   * float32 can give exactly 1.
   */
  nextFloat32(): number {
    return (this.nextUint32() >>> 8) / 16777216;
  }

  /** A uniform integer in [0, n), without modulo bias. @param n an integer in [1, 2^32]. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) {
      throw new RangeError(`SeededRandom.nextInt: n must be an integer in [1, 2^32], got ${n}`);
    }
    // Reject the top partial block of the 2^32 range so that every residue is equally likely.
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** A normally distributed number (Box-Muller; pairs are generated and the second one cached). */
  normal(mean = 0, std = 1): number {
    let z: number;
    if (this.spareNormal !== undefined) {
      z = this.spareNormal;
      this.spareNormal = undefined;
    } else {
      const u1 = 1 - this.next(); // in (0, 1], so the logarithm is finite
      const u2 = this.next();
      const r = Math.sqrt(-2 * Math.log(u1));
      const angle = 2 * Math.PI * u2;
      z = r * Math.cos(angle);
      this.spareNormal = r * Math.sin(angle);
    }
    return mean + std * z;
  }

  /** Shuffles `array` in place (Fisher-Yates, every permutation equally likely) and returns it. */
  shuffle<A extends ShufflableArray>(array: A): A {
    const a: { [index: number]: unknown; length: number } = array;
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return array;
  }

  /** A uniformly random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }
}

/** Arrays `shuffle` accepts: plain arrays and numeric typed arrays. */
export type ShufflableArray =
  | unknown[]
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
