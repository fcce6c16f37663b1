/**
 * Generic refinement of a decomposition's factors in any metric: gradient descent
 * (Adam) on the metric's loss through the plugin's differentiable `reconstruct`. How
 * every decomposition works with every norm where no closed form or ALS is known.
 */
import { Adam } from '../optim/adam.js';
import { Tensor } from '../tensor.js';
import type { LayerInfo } from './layer-info.js';
import type { Metric } from './metric.js';
import { metricLoss, relativeError } from './metric-error.js';
import type { DecompositionPlugin } from './plugin.js';

/** Smallest relative loss decrease that counts as progress. */
const GAIN = 1e-10;

export interface RefineOptions {
  /** Adam steps (default 200). */
  iterations?: number;
  /**
   * Step size relative to each factor tensor's root-mean-square value (default 1e-2):
   * factors of very different scales (TT cores, SVD's `U` and `S`) move alike.
   */
  lr?: number;
  /** Halve the step after this many steps without a new best loss (default 10). */
  patience?: number;
  /** Stop when the step has been halved this many times (default 8). */
  maxHalvings?: number;
  /** Called with the step number and the metric's relative error after each step. */
  onIteration?: (iteration: number, relativeError: number) => void;
  /** For error messages. */
  layer?: LayerInfo;
}

/**
 * Refines `factors` (whose tensors are found by walking F's own fields: tensors in
 * arrays and plain objects) to lower `‖W - reconstruct(F)‖` in `metric`. Works on
 * float64 copies that require gradients, keeps the best iterate, and returns new
 * factors in the original dtypes (the input is left untouched and still owned by the
 * caller). The metric's error of the result is never above that of `factors`: if
 * nothing improves, the result is a copy of them.
 */
export async function refineFactors<F>(
  plugin: DecompositionPlugin<F>,
  factors: F,
  weight: Tensor,
  metric: Metric,
  options: RefineOptions = {},
): Promise<F> {
  const { iterations = 200, lr = 1e-2, patience = 10, maxHalvings = 8, onIteration, layer } = options;
  checkOption('iterations', iterations, Number.isInteger(iterations) && iterations >= 0);
  checkOption('lr', lr, lr > 0 && Number.isFinite(lr));
  checkOption('patience', patience, Number.isInteger(patience) && patience >= 1);
  checkOption('maxHalvings', maxHalvings, Number.isInteger(maxHalvings) && maxHalvings >= 0);
  const originals = factorTensors(factors);
  if (originals.length === 0) {
    throw new TypeError(
      `refineFactors: the ${plugin.name} factors of ${layer ? `'${layer.name}'` : 'the layer'} hold no tensors to refine`,
    );
  }
  const engine = weight.engine;
  // Copies off any graph the inputs are on (a model's weight is a parameter that requires grad).
  const copy = (t: Tensor) => engine.keep(engine.noGrad(() => t.cast('float64')));
  const target = copy(weight);
  const leaves = originals.map((t) => copy(t).requireGrad());
  const best = leaves.map((t) => engine.keep(t.detach()));
  const working = rebuild(factors, originals, leaves);
  const optimizers: Adam[] = [];
  for (const t of leaves) optimizers.push(new Adam([t], { lr: lr * (await rms(t)) }));
  const lossOf = () => engine.tidy(() => metricLoss(metric, target, plugin.reconstruct(working), layer));
  const readScalar = async (t: Tensor) => {
    try {
      return await t.item();
    } finally {
      t.dispose();
    }
  };
  try {
    let bestLoss = await readScalar(engine.noGrad(lossOf));
    const norm = await readScalar(
      engine.noGrad(() => engine.tidy(() => metricLoss(metric, target, engine.zerosLike(target), layer))),
    );
    let stale = 0;
    let halvings = 0;
    for (let it = 1; it <= iterations && halvings <= maxHalvings; it++) {
      const loss = lossOf();
      const value = await loss.item();
      loss.backward();
      loss.dispose();
      // A new best must beat rounding: at an optimum, noise-level gains would only drift.
      if (value < bestLoss * (1 - GAIN)) {
        bestLoss = value;
        stale = 0;
        leaves.forEach((t, i) => {
          best[i].dispose();
          best[i] = engine.keep(t.detach());
        });
      } else if (++stale >= patience) {
        stale = 0;
        halvings++;
        for (const o of optimizers) o.lr /= 2;
      }
      for (const o of optimizers) {
        o.step();
        o.zeroGrad();
      }
      onIteration?.(it, norm > 0 ? Math.sqrt(bestLoss / norm) : 0);
    }
    // The best iterate was recorded before its step; its loss is the one kept above.
    const refined = rebuild(
      factors,
      originals,
      best.map((t, i) => engine.keep(t.cast(originals[i].dtype))),
    );
    return await noWorseThan(plugin, factors, refined, weight, metric, layer);
  } finally {
    for (const o of optimizers) o.dispose();
    for (const t of [target, ...leaves, ...best]) t.dispose();
  }
}

/**
 * `refined` unless casting back to the factors' dtype made it worse than `factors`
 * (possible for float32 factors already near the optimum); then a copy of `factors`.
 */
async function noWorseThan<F>(
  plugin: DecompositionPlugin<F>,
  factors: F,
  refined: F,
  weight: Tensor,
  metric: Metric,
  layer?: LayerInfo,
): Promise<F> {
  const errorOf = async (f: F) => {
    const approx = plugin.reconstruct(f);
    try {
      return await relativeError(metric, weight, approx, layer);
    } finally {
      approx.dispose();
    }
  };
  if ((await errorOf(refined)) <= (await errorOf(factors))) return refined;
  for (const t of factorTensors(refined)) t.dispose();
  const originals = factorTensors(factors);
  return rebuild(
    factors,
    originals,
    originals.map((t) => t.engine.keep(t.engine.noGrad(() => t.add(0)))),
  );
}

/** Every tensor inside `value`'s arrays and plain objects, in a fixed walk order. */
export function factorTensors(value: unknown, into: Tensor[] = []): Tensor[] {
  if (value instanceof Tensor) into.push(value);
  else if (Array.isArray(value)) for (const v of value) factorTensors(v, into);
  else if (isPlainObject(value)) for (const v of Object.values(value)) factorTensors(v, into);
  return into;
}

/** A copy of `value` with the tensors `from[i]` replaced by `to[i]` (same walk as `factorTensors`). */
function rebuild<F>(value: F, from: readonly Tensor[], to: readonly Tensor[]): F {
  const swap = new Map(from.map((t, i) => [t, to[i]]));
  const walk = (v: unknown): unknown => {
    if (v instanceof Tensor) return swap.get(v) ?? v;
    if (Array.isArray(v)) return v.map(walk);
    if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as F;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;
}

async function rms(t: Tensor): Promise<number> {
  const d = await t.data();
  let s = 0;
  for (const v of d) s += v * v;
  return Math.sqrt(s / Math.max(1, d.length)) || 1;
}

function checkOption(name: string, value: number, ok: boolean): void {
  if (!ok) throw new RangeError(`refineFactors: option ${name} = ${value} is out of range`);
}
