import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/data/prng.js';

const draw = (rng: SeededRandom, n: number): number[] => Array.from({ length: n }, () => rng.nextUint32());

describe('SeededRandom', () => {
  it('keeps its documented stream (xoshiro128** seeded by splitmix32)', () => {
    // Pinned: examples and tests rely on these streams staying the same across releases.
    expect(draw(new SeededRandom(0), 5)).toEqual([3809008728, 1133695204, 53579671, 2891528803, 139681546]);
    expect(draw(new SeededRandom(42), 3)).toEqual([2837322924, 544945897, 479756282]);
    expect(draw(new SeededRandom(-1), 2)).toEqual([2494459187, 860351673]);
  });

  it('gives the same stream for the same seed and different streams for different seeds', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.maxSafeInteger(), (a, b) => {
        const sa = draw(new SeededRandom(a), 4);
        expect(draw(new SeededRandom(a), 4)).toEqual(sa);
        if (a !== b) expect(draw(new SeededRandom(b), 4)).not.toEqual(sa);
      }),
    );
    // The high 32 bits of the seed matter too.
    expect(draw(new SeededRandom(2 ** 32), 4)).not.toEqual(draw(new SeededRandom(0), 4));
  });

  it('rejects seeds that are not safe integers', () => {
    for (const seed of [0.5, Number.NaN, 2 ** 53, Number.POSITIVE_INFINITY]) {
      expect(() => new SeededRandom(seed)).toThrow(RangeError);
    }
  });

  it('draws uint32, [0, 1) doubles and float32-exact [0, 1) numbers', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rng = new SeededRandom(seed);
        for (let i = 0; i < 50; i++) {
          const u = rng.nextUint32();
          expect(Number.isInteger(u) && u >= 0 && u < 2 ** 32).toBe(true);
          const x = rng.next();
          expect(x >= 0 && x < 1).toBe(true);
          const f = rng.nextFloat32();
          expect(f >= 0 && f < 1 && Math.fround(f) === f).toBe(true);
        }
      }),
    );
  });

  it('is roughly uniform and its normals have the requested mean and spread', () => {
    const rng = new SeededRandom(7);
    const n = 200_000;
    let sum = 0;
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < n; i++) {
      const x = rng.next();
      sum += x;
      buckets[Math.floor(x * 10)]++;
    }
    expect(sum / n).toBeCloseTo(0.5, 2);
    for (const b of buckets) expect(Math.abs(b / n - 0.1)).toBeLessThan(0.005);

    let s1 = 0;
    let s2 = 0;
    let within1 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal(3, 2);
      s1 += z;
      s2 += z * z;
      if (Math.abs(z - 3) < 2) within1++;
    }
    const mean = s1 / n;
    expect(mean).toBeCloseTo(3, 1);
    expect(Math.sqrt(s2 / n - mean * mean)).toBeCloseTo(2, 1);
    expect(within1 / n).toBeCloseTo(0.6827, 2); // the normal's 1-sigma mass
  });

  it('draws unbiased integers in [0, n)', () => {
    const rng = new SeededRandom(3);
    const counts = [0, 0, 0];
    for (let i = 0; i < 90_000; i++) counts[rng.nextInt(3)]++;
    for (const c of counts) expect(Math.abs(c - 30_000)).toBeLessThan(600);
    expect(rng.nextInt(1)).toBe(0);
    const big = rng.nextInt(2 ** 32);
    expect(big >= 0 && big < 2 ** 32).toBe(true);
    for (const n of [0, -1, 1.5, 2 ** 32 + 1]) expect(() => rng.nextInt(n)).toThrow(RangeError);
  });

  it('shuffles into a permutation, reproducibly, reaching every order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.integer(), (values, seed) => {
        const shuffled = new SeededRandom(seed).shuffle([...values]);
        expect([...shuffled].sort()).toEqual([...values].sort());
        expect(new SeededRandom(seed).shuffle([...values])).toEqual(shuffled);
      }),
    );
    // All 6 orders of 3 elements show up, about equally often.
    const rng = new SeededRandom(11);
    const seen = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const key = rng.shuffle(new Int32Array([0, 1, 2])).join('');
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    expect(seen.size).toBe(6);
    for (const c of seen.values()) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });

  it('makes permutations of 0..n-1', () => {
    fc.assert(
      fc.property(fc.nat(200), fc.integer(), (n, seed) => {
        const p = new SeededRandom(seed).permutation(n);
        expect(p).toBeInstanceOf(Int32Array);
        expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
    );
  });
});
