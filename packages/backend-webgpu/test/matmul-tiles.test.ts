import { createEngine } from '@lowrank/core';
import { describe, expect, it } from 'vitest';
import {
  createWebGpuBackend,
  LARGE_TILE,
  type MatmulTile,
  SMALL_TILE,
  TALL_TILE,
  tileName,
} from '../src/index.js';
import { tileProblem } from '../src/kernels/matmul-tiles.js';
import { parity, randn } from './helpers.js';

const tol = { rtol: 1e-4, atol: 1e-4 };

/** Shapes straddling every tile's edges, both vec4 and scalar loads, all transposes, a batch. */
const CASES = [
  { a: [2, 130, 70], b: [70, 150], transA: false, transB: false },
  { a: [67, 129], b: [131, 67], transA: true, transB: true },
  { a: [3, 33, 20], b: [3, 36, 20], transA: false, transB: true },
  { a: [256, 9], b: [9, 132], transA: false, transB: false },
] as const;

function tileSuite(tile: MatmulTile) {
  it(`matmul with the ${tileName(tile)} tile equals the CPU product (rtol 1e-4) where the adapter can run it, else the backend refuses it naming the limit`, async () => {
    const probe = await createWebGpuBackend();
    const problem = tileProblem(tile, probe.limits);
    probe.dispose();
    if (problem !== null) {
      await expect(createWebGpuBackend({ matmulTile: tile })).rejects.toThrow(problem);
      return;
    }
    const backend = await createWebGpuBackend({ matmulTile: tile });
    const engines = { backend, cpu: createEngine(), gpu: createEngine({ backend }) };
    try {
      for (const c of CASES) {
        await parity(
          engines,
          (e) => e.runKernel('matmul', [randn(e, c.a, 1), randn(e, c.b, 2)], c)[0],
          tol,
          `${c.a} x ${c.b}`,
        );
      }
    } finally {
      backend.dispose();
    }
  });
}

for (const tile of [SMALL_TILE, TALL_TILE, LARGE_TILE]) tileSuite(tile);

describe('tileProblem', () => {
  const core = {
    maxComputeInvocationsPerWorkgroup: 256,
    maxComputeWorkgroupSizeX: 256,
    maxComputeWorkgroupSizeY: 256,
    maxComputeWorkgroupStorageSize: 16384,
  } as GPUSupportedLimits;
  const compat = { ...core, maxComputeInvocationsPerWorkgroup: 128 } as GPUSupportedLimits;

  it('accepts the tiles that fit and names the limit a tile breaks', () => {
    expect(tileProblem(SMALL_TILE, compat)).toBeNull();
    expect(tileProblem(LARGE_TILE, core)).toBeNull();
    expect(tileProblem(LARGE_TILE, compat)).toMatch(/maxComputeInvocationsPerWorkgroup 128/);
    expect(tileProblem({ m: 64, n: 64, k: 16, rows: 6, cols: 1 }, core)).toMatch(/multiple of 4/);
    expect(
      tileProblem(SMALL_TILE, { ...core, maxComputeWorkgroupStorageSize: 4096 } as GPUSupportedLimits),
    ).toMatch(/workgroup memory/);
  });
});
