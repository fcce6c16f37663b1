/**
 * The GEMM's tile shapes. A tile is `m x n` outputs per workgroup, `rows x 4 * cols` per
 * thread. Bigger tiles reuse each staged value more (fewer workgroup-memory reads per
 * FMA) but make fewer workgroups. Measured on an H100 (benchmarks/results/webgpu.json,
 * `tiles`), the bigger ones below were no faster than SMALL_TILE from 1024^3 to 4096^3
 * (all 16 to 25 TFLOP/s), so SMALL_TILE is the default everywhere; the others stay
 * selectable (`matmulTile`) for tuning on other GPUs.
 */
export interface MatmulTile {
  m: number;
  n: number;
  /** K steps staged per barrier: 16 or 32 (a multiple of 4). */
  k: number;
  /** Rows of C per thread: a multiple of 4. */
  rows: number;
  /** vec4 columns of C per thread. */
  cols: number;
}

/** The default. 128 threads, 8 KiB: fits every adapter, compatibility mode included. */
export const SMALL_TILE: MatmulTile = { m: 64, n: 64, k: 16, rows: 8, cols: 1 };
/** 128 threads, 8 x 8 per thread, 12 KiB: fits compatibility mode. */
export const TALL_TILE: MatmulTile = { m: 128, n: 64, k: 16, rows: 8, cols: 2 };
/** 256 threads, 8 x 8 per thread, 16 KiB: needs core-level limits. */
export const LARGE_TILE: MatmulTile = { m: 128, n: 128, k: 16, rows: 8, cols: 2 };

/** `[x, y]` threads of a workgroup running `tile`. */
export function tileThreads(tile: MatmulTile): [number, number] {
  return [tile.n / (4 * tile.cols), tile.m / tile.rows];
}

export function tileName(tile: MatmulTile): string {
  return `${tile.m}x${tile.n}x${tile.k}/${tile.rows}x${4 * tile.cols}`;
}

/** Why `tile` cannot run under `limits`, or null when it can. */
export function tileProblem(tile: MatmulTile, limits: GPUSupportedLimits): string | null {
  const [tx, ty] = tileThreads(tile);
  const shape = [tile.m, tile.n, tile.k, tile.rows, tile.cols, tx, ty];
  if (!shape.every((d) => Number.isInteger(d) && d > 0) || tile.rows % 4 !== 0 || tile.k % 4 !== 0) {
    return 'tile m must be a multiple of rows, rows and k multiples of 4, and n a multiple of 4 * cols';
  }
  const threads = tx * ty;
  // Each thread loads an equal share of both staged tiles as vec4s.
  if (((tile.m * tile.k) / 4) % threads !== 0 || ((tile.n * tile.k) / 4) % threads !== 0) {
    return `the ${threads} threads cannot share the tile loads evenly`;
  }
  if (threads > limits.maxComputeInvocationsPerWorkgroup) {
    return `${threads} threads exceed maxComputeInvocationsPerWorkgroup ${limits.maxComputeInvocationsPerWorkgroup}`;
  }
  if (tx > limits.maxComputeWorkgroupSizeX || ty > limits.maxComputeWorkgroupSizeY) {
    return `a ${tx} x ${ty} workgroup exceeds the adapter's workgroup size limits`;
  }
  const bytes = (tile.m + tile.n) * tile.k * 4;
  if (bytes > limits.maxComputeWorkgroupStorageSize) {
    return `${bytes} bytes of workgroup memory exceed maxComputeWorkgroupStorageSize ${limits.maxComputeWorkgroupStorageSize}`;
  }
  return null;
}
