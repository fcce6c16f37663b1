import { createEngine, type DType, type Engine, type Tensor, type TensorContainer } from '@lowrank/core';
import { afterAll, beforeAll, expect } from 'vitest';
import { createWebGpuBackend, type WebGpuBackend, type WebGpuBackendOptions } from '../src/index.js';

/** A CPU engine and a WebGPU engine with the same seed, created once per test file. */
export interface Engines {
  cpu: Engine;
  gpu: Engine;
  backend: WebGpuBackend;
}

/**
 * Registers beforeAll/afterAll hooks that make the engines. Without any adapter the
 * hook fails with the backend's message (what to install); the tests do not skip.
 */
export function useEngines(options: WebGpuBackendOptions = {}): Engines {
  const engines = {} as Engines;
  beforeAll(async () => {
    engines.backend = await createWebGpuBackend(options);
    engines.cpu = createEngine();
    engines.gpu = createEngine({ backend: engines.backend });
  });
  afterAll(() => {
    engines.backend?.dispose();
  });
  return engines;
}

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

/** Same shape and dtype, and values within atol + rtol * |expected| (NaN matches NaN, infinities match exactly). */
export async function expectClose(
  actual: Tensor,
  expected: Tensor,
  tol: Tolerance = {},
  what = '',
): Promise<void> {
  const { rtol = 1e-4, atol = 1e-5 } = tol;
  expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  expect(actual.dtype, `${what} dtype`).toBe(expected.dtype);
  const a = await actual.data();
  const e = await expected.data();
  for (let i = 0; i < e.length; i++) {
    const [x, y] = [a[i], e[i]];
    const ok = Number.isNaN(y)
      ? Number.isNaN(x)
      : Number.isFinite(y)
        ? Math.abs(x - y) <= atol + rtol * Math.abs(y)
        : x === y;
    if (!ok)
      expect.fail(`${what} element ${i} of ${e.length}: webgpu ${x}, cpu ${y} (rtol ${rtol}, atol ${atol})`);
  }
}

/**
 * Runs `build` on both engines (it must make its inputs deterministically, e.g. from
 * seeds) and compares every tensor it returns; everything is freed afterwards.
 */
export async function parity(
  engines: Engines,
  build: (e: Engine) => Tensor | Tensor[],
  tol: Tolerance = {},
  what = '',
): Promise<void> {
  const run = (e: Engine) => {
    const out = e.tidy(() => {
      const r = build(e);
      return (Array.isArray(r) ? r : [r]) as TensorContainer;
    }) as Tensor[];
    return out;
  };
  const expected = run(engines.cpu);
  const actual = run(engines.gpu);
  try {
    expect(actual.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++)
      await expectClose(actual[i], expected[i], tol, `${what} output ${i}`);
  } finally {
    for (const t of [...expected, ...actual]) t.dispose();
  }
}

/** Deterministic integers in [lo, hi] from a seed (mulberry32). */
export function ints(
  e: Engine,
  shape: readonly number[],
  seed: number,
  lo: number,
  hi: number,
  dtype: DType = 'int32',
): Tensor {
  let s = seed >>> 0;
  const n = shape.reduce((p, d) => p * d, 1);
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    values[i] = lo + Math.floor(u * (hi - lo + 1));
  }
  return e.tensor(values, shape, dtype);
}

/** Standard normal values from a seed, scaled. */
export function randn(e: Engine, shape: readonly number[], seed: number, std = 1): Tensor {
  return e.randn(shape, { seed, std });
}
