/**
 * The conformance suite every decomposition plugin runs (ALGORITHMS.md, "Properties
 * every decomposition must satisfy"). Runner-agnostic: it returns named checks that a
 * test file registers, e.g. `for (const c of checks) it(c.name, c.run)`.
 */
import * as fc from 'fast-check';
import type { LayerInfo } from '../decomposition/layer-info.js';
import { measuredCost } from '../decomposition/measured-cost.js';
import type { DecompositionPlugin } from '../decomposition/plugin.js';
import type { Engine } from '../engine.js';
import { conv2d } from '../ops/conv.js';
import { add, sub } from '../ops/elementwise.js';
import { matmul } from '../ops/linear.js';
import { norm } from '../ops/reduce.js';
import type { Tensor } from '../tensor.js';

export interface ConformanceCheck {
  name: string;
  run: () => Promise<void>;
}

export interface DecompositionConformanceOptions<F> {
  engine: Engine;
  plugin: DecompositionPlugin<F>;
  /** Layers the plugin supports (small: the checks decompose many of them). */
  layers: fc.Arbitrary<LayerInfo>;
  /** Ranks for a layer, within its rank spec (e.g. a random fraction of the bounds). */
  ranks: (layer: LayerInfo, rng: fc.Arbitrary<number>) => fc.Arbitrary<number[]>;
  /** Random factors of the given ranks: their reconstruction has exactly that rank. */
  randomFactors: (layer: LayerInfo, ranks: readonly number[], seed: number) => F;
  /** Ranks of computed factors (to check they never exceed the request). */
  ranksOf: (factors: F) => number[];
  /** Relative error allowed when recovering a tensor of the requested rank (1e-9 for SVD-based, larger for ALS). */
  recoveryTolerance: number;
  /** Options passed to every decompose call (iterations, tolerance). */
  decomposeOptions?: Record<string, unknown>;
  /** Whether the algorithm reports an error trace through onIteration (ALS) that must not increase. */
  iterative?: boolean;
  /** Whether the error must not increase when every rank grows (true for SVD-based algorithms). */
  monotoneInRank?: boolean;
  numRuns?: number;
}

/** A conv layer of the given geometry, for arbitraries. */
export function convLayer(
  name: string,
  o: number,
  i: number,
  kernel: [number, number],
  extra: Partial<Pick<LayerInfo, 'stride' | 'padding' | 'dilation' | 'groups' | 'bias' | 'inputSize'>> = {},
): LayerInfo {
  const groups = extra.groups ?? 1;
  return {
    name,
    kind: 'conv2d',
    weightShape: [o, i / groups, kernel[0], kernel[1]],
    inChannels: i,
    outChannels: o,
    kernel,
    stride: extra.stride ?? [1, 1],
    padding: extra.padding ?? [0, 0, 0, 0],
    dilation: extra.dilation ?? [1, 1],
    groups,
    bias: extra.bias ?? true,
    inputSize: extra.inputSize ?? [7, 8],
  };
}

/** A linear layer O x I. */
export function linearLayer(name: string, o: number, i: number, bias = true): LayerInfo {
  return {
    name,
    kind: 'linear',
    weightShape: [o, i],
    inChannels: i,
    outChannels: o,
    kernel: [1, 1],
    stride: [1, 1],
    padding: [0, 0, 0, 0],
    dilation: [1, 1],
    groups: 1,
    bias,
  };
}

function relativeError(w: Tensor, approx: Tensor): number {
  const e = w.engine.tidy(() => norm(sub(w, approx)).itemSync() / Math.max(norm(w).itemSync(), 1e-300));
  return e;
}

/** The dense layer's output with `weight` in place of its own. */
function denseForward(layer: LayerInfo, weight: Tensor, bias: Tensor | null, x: Tensor): Tensor {
  if (layer.kind === 'linear') {
    const y = matmul(x, weight, { transB: true });
    return bias ? add(y, bias) : y;
  }
  return conv2d(x, weight, bias, {
    stride: layer.stride,
    padding: layer.padding,
    dilation: layer.dilation,
    groups: layer.groups,
  });
}

/** The checks of ALGORITHMS.md properties 1, 2, 3, 8 and the cost and rank-monotonicity properties. */
export function decompositionConformance<F>(o: DecompositionConformanceOptions<F>): ConformanceCheck[] {
  const { engine, plugin } = o;
  const numRuns = o.numRuns ?? 15;
  const opts = o.decomposeOptions ?? {};
  const seeds = fc.integer({ min: 0, max: 2 ** 31 - 1 });
  const withRanks = o.layers.chain((layer) =>
    fc.tuple(fc.constant(layer), o.ranks(layer, fc.double({ min: 0, max: 1, noNaN: true })), seeds),
  );
  const prop = (check: (layer: LayerInfo, ranks: number[], seed: number) => Promise<void>) => () =>
    fc.assert(
      fc.asyncProperty(withRanks, ([layer, ranks, seed]) => check(layer, ranks, seed)),
      { numRuns },
    );

  const checks: ConformanceCheck[] = [
    {
      name: `${plugin.name}: a tensor of the requested rank is recovered (relative error < ${o.recoveryTolerance})`,
      run: prop(async (layer, ranks, seed) => {
        const w = engine.keep(plugin.reconstruct(o.randomFactors(layer, ranks, seed)));
        const f = await plugin.decompose(w, layer, ranks, { ...opts, seed });
        const approx = plugin.reconstruct(f);
        const err = relativeError(w, approx);
        w.dispose();
        approx.dispose();
        if (!(err < o.recoveryTolerance))
          throw new Error(`${layer.name} [${layer.weightShape}] at ranks [${ranks}]: relative error ${err}`);
      }),
    },
    {
      name: `${plugin.name}: computed ranks never exceed the request nor the rank spec's bounds`,
      run: prop(async (layer, ranks, seed) => {
        const w = engine.randn(layer.weightShape, { dtype: 'float64', seed });
        const got = o.ranksOf(await plugin.decompose(w, layer, ranks, { ...opts, seed }));
        const spec = plugin.rankSpec(layer);
        w.dispose();
        got.forEach((r, i) => {
          if (r > ranks[i] || r > spec.max[i] || r < 1)
            throw new Error(`${layer.name}: rank ${i} is ${r}, requested ${ranks[i]}, bound ${spec.max[i]}`);
        });
      }),
    },
    {
      name: `${plugin.name}: the factorized layer equals the dense layer with the reconstructed weight (stride, padding, dilation, bias; rel. 1e-9)`,
      run: prop(async (layer, ranks, seed) => {
        const w = engine.randn(layer.weightShape, { dtype: 'float64', seed });
        const bias = layer.bias
          ? engine.keep(engine.randn([layer.outChannels], { dtype: 'float64', seed: seed + 1 }))
          : null;
        const f = await plugin.decompose(w, layer, ranks, { ...opts, seed });
        const module = plugin.layer(f, layer, bias);
        engine.noGrad(() =>
          engine.tidy(() => {
            const x =
              layer.kind === 'linear'
                ? engine.randn([3, layer.inChannels], { dtype: 'float64', seed: seed + 2 })
                : engine.randn([2, layer.inChannels, ...(layer.inputSize ?? [7, 8])], {
                    dtype: 'float64',
                    seed: seed + 2,
                  });
            const expected = denseForward(layer, plugin.reconstruct(f), bias, x);
            const got = module.call(x);
            const err = relativeError(expected, got);
            if (!(err < 1e-9))
              throw new Error(
                `${layer.name}: factorized output differs from the dense one by ${err} (relative)`,
              );
          }),
        );
        module.dispose();
        w.dispose();
        bias?.dispose();
      }),
    },
    {
      name: `${plugin.name}: cost() equals the factorized layer's actual params and MACs`,
      run: prop(async (layer, ranks, seed) => {
        const w = engine.randn(layer.weightShape, { dtype: 'float64', seed });
        const bias = layer.bias ? engine.keep(engine.zeros([layer.outChannels], 'float64')) : null;
        const f = await plugin.decompose(w, layer, ranks, { ...opts, seed });
        const module = plugin.layer(f, layer, bias);
        const measured = measuredCost(module, layer);
        const claimed = plugin.cost(layer, o.ranksOf(f));
        module.dispose();
        w.dispose();
        bias?.dispose();
        if (measured.params !== claimed.params || measured.flops !== claimed.flops) {
          throw new Error(
            `${layer.name} at [${o.ranksOf(f)}]: cost() says ${JSON.stringify(claimed)}, the layer has ${JSON.stringify(measured)}`,
          );
        }
      }),
    },
    {
      name: `${plugin.name}: layers it cannot handle (groups > 1) are refused with a reason naming the layer`,
      run: async () => {
        const grouped = convLayer('features.3', 4, 4, [3, 3], { groups: 2 });
        const support = plugin.supports(grouped);
        if (support.ok) return; // a plugin may support groups properly; the layer-equality check then covers it
        const w = engine.randn(grouped.weightShape, { dtype: 'float64' });
        try {
          await plugin.decompose(w, grouped, plugin.rankSpec(grouped).min as number[]);
          throw new Error('decompose accepted an unsupported layer');
        } catch (e) {
          if (!(e instanceof Error) || !e.message.includes('features.3'))
            throw new Error(`the error does not name the layer: ${String(e)}`);
        } finally {
          w.dispose();
        }
      },
    },
  ];
  if (o.iterative) {
    checks.push({
      name: `${plugin.name}: the error trace reported by onIteration never increases (within 1e-7 of the first error, or 1e-12 where errors are at rounding level)`,
      run: prop(async (layer, ranks, seed) => {
        const w = engine.randn(layer.weightShape, { dtype: 'float64', seed });
        const trace: number[] = [];
        await plugin.decompose(w, layer, ranks, { ...opts, seed, onIteration: (_i, e) => trace.push(e) });
        w.dispose();
        if (trace.length === 0) throw new Error('onIteration was never called');
        for (let i = 1; i < trace.length; i++) {
          // Relative errors near machine precision move by rounding alone, hence the absolute floor.
          if (trace[i] > trace[i - 1] + Math.max(1e-7 * trace[0], 1e-12))
            throw new Error(`error rose at iteration ${i}: ${trace[i - 1]} -> ${trace[i]}`);
        }
      }),
    });
  }
  if (o.monotoneInRank) {
    checks.push({
      name: `${plugin.name}: the error does not increase when every rank grows`,
      run: prop(async (layer, ranks, seed) => {
        const spec = plugin.rankSpec(layer);
        const larger = ranks.map((r, i) => Math.min(r + 1, spec.max[i]));
        const w = engine.randn(layer.weightShape, { dtype: 'float64', seed });
        const errOf = async (r: number[]) => {
          const approx = plugin.reconstruct(await plugin.decompose(w, layer, r, { ...opts, seed }));
          const e = relativeError(w, approx);
          approx.dispose();
          return e;
        };
        const [small, big] = [await errOf(ranks), await errOf(larger)];
        w.dispose();
        if (big > small + 1e-9)
          throw new Error(`${layer.name}: error ${small} at [${ranks}] but ${big} at [${larger}]`);
      }),
    });
  }
  return checks;
}
