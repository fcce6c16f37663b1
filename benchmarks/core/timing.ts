export interface PairTiming {
  /** median seconds per run of each side */
  ours: number;
  peer: number;
  runs: number;
}

export interface TimingOptions {
  minRuns: number;
  maxRuns: number;
  /** keep sampling until this much time has passed (or maxRuns) */
  minSeconds: number;
}

const defaults: TimingOptions = { minRuns: 3, maxRuns: 9, minSeconds: 3 };

/**
 * Median wall times of two contenders measured alternately (ABBA order), so that load
 * from other processes on a shared machine hits both sides alike and the ratio stays
 * meaningful even when absolute numbers drift. Call it after each side has run once
 * (JIT compilation, lazy setup, first-touch of memory).
 */
export async function timePair(
  ours: () => unknown,
  peer: () => unknown,
  opts: TimingOptions = defaults,
): Promise<PairTiming> {
  const a: number[] = [];
  const b: number[] = [];
  const start = performance.now();
  while (
    a.length < opts.maxRuns &&
    (a.length < opts.minRuns || performance.now() - start < opts.minSeconds * 1000)
  ) {
    const order = a.length % 2 === 0 ? [ours, peer] : [peer, ours];
    for (const run of order) {
      const t0 = performance.now();
      await run();
      (run === ours ? a : b).push((performance.now() - t0) / 1000);
    }
  }
  return { ours: median(a), peer: median(b), runs: a.length };
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
