import type { RankSpec } from '@lowrank/core';

/**
 * The search intervals of the multi-step search: `s, s/f, s/f^2, ...` while the interval
 * is at least 1 (RENE's narrowing, which stops once `s < 1`).
 */
export function intervalSchedule(interval: number, factor: number): number[] {
  const out: number[] = [];
  for (let s = interval; s >= 1; s /= factor) out.push(s);
  return out;
}

/** The largest scalar rank of a layer: the largest of its rank bounds. */
export function scalarBound(spec: RankSpec): number {
  return Math.max(...spec.max);
}

/**
 * The layer's ranks for one scalar candidate: the same value for every rank entry,
 * capped by each entry's bound and raised to its minimum (Tucker2's `[R1, R2]`, TT's
 * `r1..r{d-1}` all follow the one scalar).
 */
export function ranksAt(spec: RankSpec, scalar: number): number[] {
  return spec.max.map((max, k) => Math.min(max, Math.max(spec.min[k], scalar)));
}

/**
 * The first search space: `s, 2s, 3s, ...` below the layer's scalar bound, and the bound
 * itself (so the uncompressed end is always a candidate). `s` at or above the bound
 * leaves the bound alone.
 */
export function firstCandidates(bound: number, interval: number): number[] {
  const out: number[] = [];
  for (let k = 1; k * interval < bound; k++) out.push(Math.round(k * interval));
  out.push(bound);
  return dedupe(out);
}

/**
 * The narrowed space around the best scalar `best` of the previous stage (interval
 * `previous`): `best + k * next` for the integers `k` with `|k * next| <= previous / 2`,
 * rounded, kept within `[1, bound]` and without duplicates.
 */
export function narrowedCandidates(best: number, previous: number, next: number, bound: number): number[] {
  const reach = Math.floor(previous / 2 / next + 1e-9);
  const out: number[] = [];
  for (let k = -reach; k <= reach; k++) {
    const r = Math.round(best + k * next);
    if (r >= 1 && r <= bound) out.push(r);
  }
  return dedupe(out);
}

function dedupe(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}
