import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simplifyTranspose, transpose } from '../../../src/backends/cpu/transpose.js';
import * as ref from '../../reference.js';

/*
 * A transpose only copies, so it must equal the reference exactly. Shapes mix size-1 axes
 * (which the kernel drops) with sizes on both sides of its 32-element blocks.
 */
const arbCase = fc
  .array(fc.constantFrom<number>(1, 1, 2, 3, 5, 33, 40), { minLength: 0, maxLength: 6 })
  .filter((shape) => shape.reduce((p, d) => p * d, 1) <= 60_000)
  .chain((shape) =>
    fc.tuple(fc.constant(shape), fc.shuffledSubarray([...shape.keys()], { minLength: shape.length })),
  );

describe('cpu transpose kernel', () => {
  it('equals the reference transpose exactly, size-1 axes and all', () => {
    fc.assert(
      fc.property(arbCase, ([shape, perm]) => {
        const size = shape.reduce((p, d) => p * d, 1);
        const x = Float32Array.from({ length: size }, (_, i) => i * 0.5 - 7);
        const got = transpose(x, shape, perm);
        const want = ref.transpose(x, shape, perm);
        expect(got.shape).toEqual(want.shape);
        expect(got.values).toBeInstanceOf(Float32Array);
        expect(Array.from(got.values)).toEqual(Array.from(want.data));
      }),
      { numRuns: 300 },
    );
  });

  it('simplifies to the fewest axes: no size-1 axis, no two output neighbours that are input neighbours, same size', () => {
    fc.assert(
      fc.property(arbCase, ([shape, perm]) => {
        const s = simplifyTranspose(shape, perm);
        expect([...s.perm].sort((a, b) => a - b)).toEqual([...s.perm.keys()]);
        expect(s.shape.every((d) => d > 1)).toBe(true);
        for (let i = 1; i < s.perm.length; i++)
          expect(s.perm[i], `axes ${i - 1}, ${i}`).not.toBe(s.perm[i - 1] + 1);
        expect(s.shape.reduce((p, d) => p * d, 1)).toBe(shape.reduce((p, d) => p * d, 1));
      }),
      { numRuns: 300 },
    );
  });

  it('moves a size-1 axis as a copy and NCHW -> NHWC as one 2-d transpose per image', () => {
    expect(simplifyTranspose([8, 1, 6, 5, 4], [0, 2, 3, 4, 1])).toEqual({ shape: [960], perm: [0] });
    expect(simplifyTranspose([8, 6, 5, 4], [0, 2, 3, 1])).toEqual({ shape: [8, 6, 20], perm: [0, 2, 1] });
    expect(simplifyTranspose([2, 3, 1, 4], [0, 3, 2, 1])).toEqual({ shape: [2, 3, 4], perm: [0, 2, 1] });
  });
});
