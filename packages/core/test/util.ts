import { createEngine, type Engine } from '../src/index.js';
import type { Tensor } from '../src/tensor.js';

/** A fresh engine on the CPU backend with a fixed seed. */
export function newEngine(seed = 0): Engine {
  return createEngine({ seed });
}

/** A float64 tensor. */
export function f64(engine: Engine, data: ArrayLike<number>, shape: readonly number[]): Tensor {
  return engine.fromData(Float64Array.from(data), shape);
}

/** The values of a tensor as a plain array. */
export function values(t: Tensor): number[] {
  return Array.from(t.dataSync());
}

/** fast-check run counts and seeds: reproducible, small. */
export const RUNS = { numRuns: 30 } as const;
