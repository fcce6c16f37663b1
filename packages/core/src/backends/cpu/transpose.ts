import { allocArray, type DataArray, dtypeOf } from '../../dtype.js';
import type { Shape } from '../../shape.js';
import { gatherStrided } from './movement.js';
import { permutedStrides } from './strided.js';

/**
 * The same transpose on fewer axes: size-1 axes dropped, and input axes that stay neighbours,
 * in order, in the output merged into one. `[N, 1, C, H, W]` by `[0, 2, 3, 4, 1]` becomes
 * `[N, C H W]` by `[0, 1]` (a copy); `[B, M, 1, K]` by `[0, 3, 2, 1]` becomes `[B, M, K]` by
 * `[0, 2, 1]`. Fewer, longer axes are what make a strided copy fast.
 */
export function simplifyTranspose(
  shape: Shape,
  perm: readonly number[],
): { shape: number[]; perm: number[] } {
  const kept = perm.filter((p) => shape[p] !== 1);
  // Runs of output axes whose input axes are consecutive (size-1 axes between them skipped).
  const runs: number[][] = [];
  for (const p of kept) {
    const run = runs[runs.length - 1];
    const prev = run?.[run.length - 1];
    if (prev !== undefined && shape.slice(prev + 1, p).every((d) => d === 1) && p > prev) run.push(p);
    else runs.push([p]);
  }
  // Each run is one axis; number the runs by where they stand in the input.
  const byInput = [...runs.keys()].sort((a, b) => runs[a][0] - runs[b][0]);
  const rank = new Array<number>(runs.length);
  byInput.forEach((r, i) => {
    rank[r] = i;
  });
  return {
    shape: byInput.map((r) => runs[r].reduce((s, p) => s * shape[p], 1)),
    perm: runs.map((_, r) => rank[r]),
  };
}

/** `batch` row-major `[r, c]` matrices into `[c, r]`, in 32 x 32 blocks that keep both sides in cache. */
function batchedTranspose2d(x: DataArray, batch: number, r: number, c: number): DataArray {
  const out = allocArray(dtypeOf(x), batch * r * c);
  const B = 32;
  for (let b = 0; b < batch; b++) {
    const base = b * r * c;
    for (let i0 = 0; i0 < r; i0 += B) {
      for (let j0 = 0; j0 < c; j0 += B) {
        const i1 = Math.min(i0 + B, r);
        const j1 = Math.min(j0 + B, c);
        for (let i = i0; i < i1; i++)
          for (let j = j0; j < j1; j++) out[base + j * r + i] = x[base + i * c + j];
      }
    }
  }
  return out;
}

/** `x` of `shape` with its axes reordered by `perm` (output axis i is input axis perm[i]). */
export function transpose(
  x: DataArray,
  shape: Shape,
  perm: readonly number[],
): { values: DataArray; shape: number[] } {
  const outShape = perm.map((p) => shape[p]);
  const s = simplifyTranspose(shape, perm);
  const rank = s.perm.length;
  if (s.perm.every((p, i) => p === i)) return { values: x.slice(), shape: outShape };
  // [batch..., r, c] -> [batch..., c, r]: the leading axes stay, the last two swap.
  if (
    s.perm[rank - 1] === rank - 2 &&
    s.perm[rank - 2] === rank - 1 &&
    s.perm.slice(0, -2).every((p, i) => p === i)
  ) {
    const batch = s.shape.slice(0, -2).reduce((a, d) => a * d, 1);
    return { values: batchedTranspose2d(x, batch, s.shape[rank - 2], s.shape[rank - 1]), shape: outShape };
  }
  const gathered = s.perm.map((p) => s.shape[p]);
  return { values: gatherStrided(x, gathered, permutedStrides(s.shape, s.perm)), shape: outShape };
}
