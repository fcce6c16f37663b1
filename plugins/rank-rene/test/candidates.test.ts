import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstCandidates, intervalSchedule, narrowedCandidates, ranksAt } from '../src/index.js';

describe('intervalSchedule', () => {
  it('divides the interval by the factor until it drops below 1', () => {
    expect(intervalSchedule(10, 10)).toEqual([10, 1]);
    expect(intervalSchedule(100, 10)).toEqual([100, 10, 1]);
    expect(intervalSchedule(50, 10)).toEqual([50, 5]);
    expect(intervalSchedule(8, 2)).toEqual([8, 4, 2, 1]);
    expect(intervalSchedule(1, 10)).toEqual([1]);
  });
});

describe('firstCandidates', () => {
  it('samples s, 2s, ... below the bound and adds the bound', () => {
    expect(firstCandidates(100, 10)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(firstCandidates(64, 10)).toEqual([10, 20, 30, 40, 50, 60, 64]);
    expect(firstCandidates(16, 10)).toEqual([10, 16]);
    expect(firstCandidates(8, 10)).toEqual([8]);
  });
});

describe('narrowedCandidates', () => {
  it('searches [r - s/2, r + s/2] with the new interval, clipped to [1, bound]', () => {
    expect(narrowedCandidates(40, 10, 1, 64)).toEqual([35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45]);
    expect(narrowedCandidates(64, 10, 1, 64)).toEqual([59, 60, 61, 62, 63, 64]);
    expect(narrowedCandidates(3, 10, 1, 64)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(narrowedCandidates(500, 100, 10, 1000)).toEqual([
      450, 460, 470, 480, 490, 500, 510, 520, 530, 540, 550,
    ]);
  });

  it('property: with new interval 1 the space is exactly the integers of [r - s/2, r + s/2] in [1, bound]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 2, max: 40 }),
        fc.integer({ min: 1, max: 200 }),
        (bound, s, pick) => {
          const r = ((pick - 1) % bound) + 1;
          const expected: number[] = [];
          for (let x = Math.ceil(r - s / 2); x <= Math.floor(r + s / 2); x++)
            if (x >= 1 && x <= bound) expected.push(x);
          expect(narrowedCandidates(r, s, 1, bound)).toEqual(expected);
        },
      ),
    );
  });
});

describe('ranksAt', () => {
  it('applies one scalar to every rank entry, capped by each bound and raised to each minimum', () => {
    const spec = { labels: ['R1', 'R2'], max: [64, 32], min: [1, 2] };
    expect(ranksAt(spec, 40)).toEqual([40, 32]);
    expect(ranksAt(spec, 1)).toEqual([1, 2]);
    expect(ranksAt(spec, 100)).toEqual([64, 32]);
  });
});
