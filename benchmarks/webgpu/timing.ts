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
