import type { Engine, Tensor } from '@lowrank/core';

/** Iterations per timed sample: enough that one sample lasts about this long. */
const SAMPLE_SECONDS = 0.25;
const MAX_ITERATIONS = 1000;

/**
 * A timed sample of `step` for timePair: WebGPU kernels return as soon as their commands
 * are recorded, so `iterations` steps are enqueued back to back and the clock stops only
 * after `backend.sync()` (submit, then wait for the queue to drain). The time is the
 * execution of all of them plus one round trip, which `iterations` spreads thin. On the
 * CPU backend each step is done when it returns and sync is immediate.
 */
export interface Sampler {
  run: () => Promise<void>;
  iterations: number;
}

/**
 * Runs `step` once (pipeline compilation, buffer pools, first touch) and picks the number
 * of iterations per sample from that run's time.
 */
export async function sampler(engine: Engine, step: () => Tensor): Promise<Sampler> {
  const batch = async (n: number) => {
    for (let i = 0; i < n; i++) step().dispose();
    await engine.backend.sync();
  };
  await batch(1);
  const t0 = performance.now();
  await batch(1);
  const once = (performance.now() - t0) / 1000;
  const iterations = Math.max(1, Math.min(MAX_ITERATIONS, Math.round(SAMPLE_SECONDS / once)));
  return { run: () => batch(iterations), iterations };
}

/**
 * Median seconds of `run` over at least 3 samples and about 2 s, after one untimed
 * warm-up sample: back to back, so a GPU is at its working clocks for every sample.
 */
export async function medianSeconds(
  run: () => Promise<void>,
  minSamples = 3,
  minSeconds = 2,
): Promise<number> {
  await run();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minSamples || (performance.now() - start < minSeconds * 1000 && times.length < 15)) {
    const t0 = performance.now();
    await run();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  return times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
}
