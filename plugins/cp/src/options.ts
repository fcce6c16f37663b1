import type { DecomposeOptions, LayerInfo } from '@lowrank/core';
import type { CpInit } from './init.js';
import type { SigmaSolver } from './sigma-mode-system.js';

export type CpMethod = 'als' | 'deflation';

/** The options `decompose` understands, beyond `metric`. */
export interface CpOptions {
  /** 'als' (default): CP-ALS. 'deflation': the greedy rank-1 baseline. */
  method: CpMethod;
  /** ALS start, 'svd' (default) or 'random'. */
  init: CpInit;
  /** ALS sweeps, or power iterations per deflation term, at most (default 100). */
  maxIterations: number;
  /** Stop when the relative error changes by less than this (default 1e-8). */
  tolerance: number;
  /** Bro's line search for ALS (default false). */
  lineSearch: boolean;
  /** Random starts per deflation term (default 3). */
  starts: number;
  /** Default 0. */
  seed: number;
  /**
   * Whitened metric: start CP-ALS-Sigma from the Frobenius CP-ALS fit (default true, so the
   * Sigma error ends no worse than CP-ALS's), or from CP-ALS's own init (false).
   */
  warmStart: boolean;
  /** Whitened metric: how the input factors' normal equations are solved (default 'auto'). */
  solver: SigmaSolver;
  onIteration?: (iteration: number, relativeError: number) => void;
}

/** Reads and checks the options, with errors that name the layer and the option. */
export function parseOptions(layer: LayerInfo, o: DecomposeOptions): CpOptions {
  const bad = (name: string, value: unknown, want: string): never => {
    throw new TypeError(`cp: option ${name} = ${String(value)} for '${layer.name}' must be ${want}`);
  };
  const oneOf = <T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T => {
    if (value === undefined) return fallback;
    return allowed.includes(value as T) ? (value as T) : bad(name, value, `one of ${allowed.join(', ')}`);
  };
  const integer = (name: string, value: unknown, min: number, fallback: number): number => {
    if (value === undefined) return fallback;
    return Number.isSafeInteger(value) && (value as number) >= min
      ? (value as number)
      : bad(name, value, `an integer >= ${min}`);
  };
  const tolerance = o.tolerance ?? 1e-8;
  if (typeof tolerance !== 'number' || !(tolerance >= 0)) bad('tolerance', tolerance, 'a number >= 0');
  if (o.lineSearch !== undefined && typeof o.lineSearch !== 'boolean')
    bad('lineSearch', o.lineSearch, 'a boolean');
  if (o.warmStart !== undefined && typeof o.warmStart !== 'boolean')
    bad('warmStart', o.warmStart, 'a boolean');
  if (o.onIteration !== undefined && typeof o.onIteration !== 'function')
    bad('onIteration', o.onIteration, 'a function');
  return {
    method: oneOf('method', o.method, ['als', 'deflation'], 'als'),
    init: oneOf('init', o.init, ['svd', 'random'], 'svd'),
    maxIterations: integer('maxIterations', o.maxIterations, 1, 100),
    tolerance: tolerance as number,
    lineSearch: (o.lineSearch as boolean | undefined) ?? false,
    starts: integer('starts', o.starts, 1, 3),
    seed: integer('seed', o.seed, Number.MIN_SAFE_INTEGER, 0),
    warmStart: (o.warmStart as boolean | undefined) ?? true,
    solver: oneOf('solver', o.solver, ['auto', 'dense', 'cg'], 'auto'),
    onIteration: o.onIteration,
  };
}
